"""The promotion gate: a candidate must be at least as safe as production on fixed sets.

Rules (issue 6): on each fixed evaluation set, weapon recall must not drop, macro-F1 over the
four tags must not drop by more than 0.005, the mean Brier score over the four tags must not
worsen by more than ``settings.gate_brier_tolerance``; and the demographic counterfactual
check (training/fairness.py) must pass. Training modules are imported here, lazily: the gate
runs on promotion, never while serving a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np

from service.config import PROJECT_ROOT, Settings

MACRO_F1_TOLERANCE = 0.005
DEV_SET = PROJECT_ROOT / "training" / "devset" / "dev.jsonl"
SYNTHETIC_SEED = 20261106  # fixed forever: the synthetic gate set must not move
SYNTHETIC_SIZE = 3000


@dataclass(frozen=True)
class EvaluationSet:
    """Notes and true labels (notes x 3, training.dataio.MODEL_TAGS order) and their sha256."""

    name: str
    texts: tuple[str, ...]
    labels: np.ndarray
    sha256: str


@lru_cache(maxsize=1)
def evaluation_sets() -> tuple[EvaluationSet, ...]:
    """The hand-written dev set and the fixed-seed synthetic test set (built once per process)."""
    from training.dataio import MODEL_TAGS, LabeledNotes, fingerprint, load_labeled
    from training.generate import GeneratorConfig, generate

    dev = load_labeled(DEV_SET)
    rows = generate(GeneratorConfig(n=SYNTHETIC_SIZE, seed=SYNTHETIC_SEED))
    synthetic = LabeledNotes(
        [r["narrative"] for r in rows],
        np.array([[int(r[t]) for t in MODEL_TAGS] for r in rows]),
        [str(r.get("id", i)) for i, r in enumerate(rows)],
        [str(r.get("kind", "")) for r in rows],
    )
    return tuple(
        EvaluationSet(name, tuple(notes.texts), notes.labels, fingerprint(notes))
        for name, notes in (("dev", dev), ("synthetic", synthetic))
    )


def scores(model: Any, evaluation: EvaluationSet) -> dict[str, Any]:
    """Weapon recall, macro-F1 (four tags) and Brier score (three model tags) on one set."""
    from training.metrics import MODEL_TAGS, brier, macro_f1, tag_scores

    # The batch path the classifier serves classify_many with: probabilities, then thresholds.
    probs = model.probabilities(list(evaluation.texts))
    thresholds = np.array([model.thresholds[t] for t in MODEL_TAGS])
    present = (probs >= thresholds).astype(int)
    per_tag = tag_scores(evaluation.labels, present)
    return {
        "n": len(evaluation.texts),
        "weapon_recall": per_tag["weapon"]["recall"],
        "macro_f1": macro_f1(per_tag),
        "brier": brier(evaluation.labels, probs),
        "per_tag": {
            tag: {k: round(v, 4) for k, v in figures.items() if k in ("precision", "recall", "f1")}
            for tag, figures in per_tag.items()
        },
    }


def _check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": bool(passed), "detail": detail}


def compare(
    set_name: str, cand: dict[str, Any], base: dict[str, Any], brier_tolerance: float
) -> list[dict[str, Any]]:
    """The three metric rules on one set (the pure heart of the gate)."""
    recall_ok = cand["weapon_recall"] >= base["weapon_recall"] - 1e-9
    f1_ok = cand["macro_f1"] >= base["macro_f1"] - MACRO_F1_TOLERANCE - 1e-9
    brier_ok = cand["brier"] <= base["brier"] + brier_tolerance + 1e-9
    return [
        _check(
            f"{set_name}: weapon recall",
            recall_ok,
            f"{cand['weapon_recall']:.4f} vs {base['weapon_recall']:.4f} (must not drop)",
        ),
        _check(
            f"{set_name}: macro-F1",
            f1_ok,
            f"{cand['macro_f1']:.4f} vs {base['macro_f1']:.4f} "
            f"(may drop at most {MACRO_F1_TOLERANCE})",
        ),
        _check(
            f"{set_name}: Brier",
            brier_ok,
            f"{cand['brier']:.4f} vs {base['brier']:.4f} (may worsen at most {brier_tolerance})",
        ),
    ]


def fairness_check(model: Any, evaluation: EvaluationSet) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demographic counterfactual check of training/fairness.py: (gate check, summary)."""
    from training.fairness import counterfactual_check

    result = counterfactual_check(model, list(evaluation.texts))
    summary = result.as_dict()
    detail = (
        f"{summary['n_pairs']} descriptor swaps on the {evaluation.name} notes, "
        f"max probability change {summary['max_delta']:.4f} (limit {summary['tolerance']}), "
        f"{len(result.failures)} failures"
    )
    return _check("fairness: demographic counterfactuals", result.passed, detail), summary


_MEMO: dict[tuple[str, str, str], Any] = {}


def _memo(kind: str, identity: str | None, evaluation: EvaluationSet, compute: Any) -> Any:
    """Figures of an artifact (identified by its sha256) on a set are computed once per process."""
    if identity is None:
        return compute()
    key = (kind, identity, evaluation.sha256)
    if key not in _MEMO:
        if len(_MEMO) > 64:
            _MEMO.clear()
        _MEMO[key] = compute()
    return _MEMO[key]


def evaluate(
    candidate: Any,
    baseline: Any | None,
    settings: Settings,
    *,
    identities: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """The full verdict: figures for both models on every set, each check, and the result.

    ``identities`` (the artifacts' sha256) let a dry run and the promotion that follows it
    reuse the figures instead of scoring the same bytes twice.
    """
    sets = evaluation_sets()
    figures: dict[str, Any] = {}
    checks: list[dict[str, Any]] = []
    cand_id, base_id = identities
    for evaluation in sets:
        cand = _memo("scores", cand_id, evaluation, lambda e=evaluation: scores(candidate, e))
        base = None
        if baseline is not None:
            base = _memo("scores", base_id, evaluation, lambda e=evaluation: scores(baseline, e))
        figures[evaluation.name] = {
            "n": cand["n"],
            "sha256": evaluation.sha256,
            "candidate": cand,
            "baseline": base,
        }
        if base is not None:
            checks += compare(evaluation.name, cand, base, settings.gate_brier_tolerance)
    fairness, fairness_summary = _memo(
        "fairness", cand_id, sets[0], lambda: fairness_check(candidate, sets[0])
    )
    checks.append(fairness)
    return {
        "passed": all(c["passed"] for c in checks),
        "candidate_version": candidate.version,
        "baseline_version": getattr(baseline, "version", None),
        "evaluated_at": datetime.now(UTC).isoformat(),
        "rules": {
            "weapon_recall": "must not drop",
            "macro_f1_max_drop": MACRO_F1_TOLERANCE,
            "brier_max_worsening": settings.gate_brier_tolerance,
            "fairness": "training.fairness.counterfactual_check must pass",
        },
        "sets": figures,
        "fairness": fairness_summary,
        "checks": checks,
    }
