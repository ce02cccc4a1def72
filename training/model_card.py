"""The model card: built from an artifact's metadata, rendered as MODEL_CARD.md."""

from __future__ import annotations

from typing import Any

INTENDED_USE = (
    "Decision support for 911 / police call-takers and dispatchers: tags a dispatch note with "
    "mental_health, drugs, weapon or routine so that a response policy can recommend who to send "
    "and with how much backup. The dispatcher always decides."
)
NOT_FOR = [
    "Deciding a response without a human dispatcher.",
    "Judging people, predicting crime or risk scoring of individuals.",
    "Notes in languages other than English, or text that is not a dispatch note.",
]
LIMITS = [
    "Trained on generated notes plus {hand_written} hand-written ones ({writers} files, one "
    "writer each, training/corpus); no public dispatch dataset with a clear license exists, and "
    "real agency notes will differ. Retrain on the agency's own labeled notes.",
    "A bag of words and character n-grams: no syntax, so a cue retracted in a later update "
    "('the knife was a comb') is only partly understood.",
    "Negation is rule based (NegEx style) within a clause; unusual phrasings escape it.",
    "Code meanings come from the jargon table: an agency must load its own table.",
    "The hand-written evaluation sets ({eval_sets}) are small and invented; their figures are "
    "estimates, not guarantees. Thresholds were chosen on the dev sets.",
    "The label is the state at the end of the note; an update that rules a cue out in words the "
    "model has not seen ('it was a comb on camera') can leave the earlier cue standing.",
]


def build_card(meta: dict[str, Any]) -> dict[str, Any]:
    """A model-card dict from artifact metadata (stored in the artifact as ``metadata.card``)."""
    return {
        "model": meta.get("version"),
        "intended_use": INTENDED_USE,
        "not_for": NOT_FOR,
        "data": {
            "training": meta.get("training_data"),
            "generator": meta.get("generator"),
        },
        "features": meta.get("feature_config"),
        "thresholds": meta.get("thresholds"),
        "threshold_source": meta.get("threshold_source"),
        "uncertain_bands": meta.get("uncertain_bands"),
        "metrics": meta.get("metrics", {}),
        "fairness": meta.get("fairness"),
        "limits": _limits(meta),
        "libraries": meta.get("libraries"),
    }


def _limits(meta: dict[str, Any]) -> list[str]:
    """``LIMITS`` with this artifact's own data counts filled in."""
    written = meta.get("hand_written") or {}
    sets = [name for name in meta.get("metrics", {}) if name != "synthetic_test"]
    facts = {
        "hand_written": f"{written.get('n_notes', 0):,}",
        "writers": len(written.get("files", [])),
        "eval_sets": ", ".join(sets) or "none given",
    }
    return [item.format(**facts) for item in LIMITS]


def render_card(card: dict[str, Any]) -> str:
    """Markdown rendering of a model card."""
    lines = [f"# Model card: {card['model']}", "", "## Intended use", "", card["intended_use"], ""]
    lines += ["Not for:", ""] + [f"- {item}" for item in card["not_for"]] + [""]
    lines += ["## Data", "", _kv(card["data"].get("training") or {}), ""]
    gen = card["data"].get("generator") or {}
    if gen:
        lines += ["Generator knobs:", "", _kv(gen), ""]
    lines += [
        "## Features and thresholds",
        "",
        _kv(card.get("features") or {}),
        "",
        f"Thresholds chosen on: {card.get('threshold_source')}",
        "",
    ]
    lines += ["| tag | threshold | uncertain band |", "| --- | --- | --- |"]
    for tag, thr in (card.get("thresholds") or {}).items():
        band = (card.get("uncertain_bands") or {}).get(tag, ["", ""])
        lines.append(f"| {tag} | {thr:.3f} | {band[0]:.3f} - {band[1]:.3f} |")
    lines += ["", "## Metrics", ""]
    for name, block in (card.get("metrics") or {}).items():
        lines += _metrics_section(name, block)
    lines += ["## Fairness check", "", _kv(card.get("fairness") or {"status": "not run"}), ""]
    lines += ["## Limits", ""] + [f"- {item}" for item in card["limits"]] + [""]
    lines += ["## Libraries", "", _kv(card.get("libraries") or {}), ""]
    return "\n".join(lines)


def _metrics_section(name: str, block: dict[str, Any]) -> list[str]:
    """Per-tag and per-kind tables of one evaluation set."""
    lines = [
        f"### {name} (n={block.get('n')})",
        "",
        f"macro-F1 over four tags: {block.get('macro_f1', 0):.3f}; "
        f"Brier: {block.get('brier', 0):.4f}; all four tags right: "
        f"{block.get('exact_match', 0):.3f}",
        "",
        "| tag | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for tag, s in (block.get("tags") or {}).items():
        lines.append(
            f"| {tag} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        )
    kinds = block.get("by_kind") or {}
    if any(kinds):
        lines += ["", "| kind | notes | all tags right |", "| --- | --- | --- |"]
        lines += [f"| {k} | {v['n']} | {v['fully_right']:.3f} |" for k, v in kinds.items() if k]
    lines.append("")
    return lines


def _kv(mapping: dict[str, Any]) -> str:
    """A mapping as a bullet list."""
    return "\n".join(f"- {key}: {value}" for key, value in mapping.items())
