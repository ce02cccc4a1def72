"""Evaluation report: Markdown with per-tag figures, confusion summary, plots and errors.

Sections: the synthetic test split, then every labeled set given (dev, holdout...). Plots
(precision-recall and calibration curves) are PNG files next to the report.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from service.classifier.artifact import load_model
from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS
from training.dataio import LabeledNotes, load_labeled
from training.fairness import counterfactual_check
from training.metrics import summarize
from training.train import synthetic

MAX_ERRORS_PER_KIND = 12


def write_report(
    model_path: Path, sets: list[Path], out_dir: Path, synthetic_seed: int = 99
) -> Path:
    """Evaluate ``model_path`` on a synthetic test split and each set; write ``report.md``."""
    import matplotlib

    matplotlib.use("Agg")
    model = load_model(model_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    named = [("synthetic test split", synthetic(3000, synthetic_seed))]
    named += [(path.stem, load_labeled(path)) for path in sets]
    lines = [f"# Evaluation report: {model.version}", "", f"Thresholds: {model.thresholds}", ""]
    for name, notes in named:
        lines += _section(model, name, notes, out_dir)
    report = out_dir / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


def _section(model: TriageModel, name: str, notes: LabeledNotes, out_dir: Path) -> list[str]:
    """One labeled set: headline figures, tables, plots and misclassified notes."""
    probs = model.probabilities(notes.texts)
    thresholds = np.array([model.thresholds[t] for t in MODEL_TAGS])
    pred = (probs >= thresholds).astype(int)
    s = summarize(notes.labels, pred, probs, notes.kinds)
    slug = name.replace(" ", "_")
    _plots(notes.labels, probs, out_dir, slug)
    fairness = counterfactual_check(model, notes.texts[:200])
    lines = [
        f"## {name} (n={s.n})",
        "",
        f"- macro-F1 (four tags): **{s.macro_f1:.3f}**; Brier {s.brier:.4f}; "
        f"all four tags right {s.exact_match:.3f}",
        f"- negation notes fully right: {_pct(s.negation_fully_right)}; "
        f"routine decoys raised: {_pct(s.decoys_raised)}",
        f"- demographic twins identical (counterfactual swaps of {fairness.n_pairs} pairs):"
        f" {'100%' if fairness.passed else 'FAILED'} (max probability change "
        f"{fairness.max_delta:.4f})",
        "",
        "| tag | precision | recall | F1 | TP | FP | FN | TN |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for tag, t in s.tags.items():
        lines.append(
            f"| {tag} | {t['precision']:.3f} | {t['recall']:.3f} | {t['f1']:.3f} | "
            f"{t['tp']} | {t['fp']} | {t['fn']} | {t['tn']} |"
        )
    lines += ["", f"![precision-recall]({slug}_pr.png) ![calibration]({slug}_calibration.png)", ""]
    if any(notes.kinds):
        lines += _kind_table(s.by_kind)
        if "holdout" in name:  # reported only: its notes stay unread, so none are listed
            lines += [
                "Misclassified holdout notes are not listed (the holdout is not for "
                "error analysis).",
                "",
            ]
        else:
            lines += _errors(notes, pred, probs)
    return lines


def _kind_table(by_kind: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| kind | notes | all tags right |", "| --- | --- | --- |"]
    lines += [f"| {k} | {v['n']} | {v['fully_right']:.3f} |" for k, v in by_kind.items()]
    return lines + [""]


def _errors(notes: LabeledNotes, pred: np.ndarray, probs: np.ndarray) -> list[str]:
    """Misclassified notes grouped by kind."""
    groups: dict[str, list[str]] = defaultdict(list)
    for i, (truth, guess) in enumerate(zip(notes.labels, pred, strict=True)):
        if (truth != guess).any():
            wrong = [
                f"{'FP' if guess[k] else 'FN'} {t} ({probs[i, k]:.2f})"
                for k, t in enumerate(MODEL_TAGS)
                if truth[k] != guess[k]
            ]
            text = " ".join(notes.texts[i].split())[:240]
            groups[notes.kinds[i]].append(f"- `{notes.ids[i]}` {', '.join(wrong)}: {text}")
    lines = ["### Misclassified notes by kind", ""]
    for kind in sorted(groups):
        lines += [f"**{kind}** ({len(groups[kind])})", ""] + groups[kind][:MAX_ERRORS_PER_KIND]
        lines.append("")
    return lines


def _plots(truth: np.ndarray, probs: np.ndarray, out_dir: Path, slug: str) -> None:
    """Precision-recall and calibration curves, one line per tag."""
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve

    fig, ax = plt.subplots(figsize=(5, 4))
    for k, tag in enumerate(MODEL_TAGS):
        if truth[:, k].any():
            precision, recall, _ = precision_recall_curve(truth[:, k], probs[:, k])
            ax.plot(recall, precision, label=tag)
    _finish(fig, ax, "recall", "precision", out_dir / f"{slug}_pr.png")
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    for k, tag in enumerate(MODEL_TAGS):
        if 0 < truth[:, k].sum() < len(truth):
            frac, mean = calibration_curve(truth[:, k], probs[:, k], n_bins=8, strategy="quantile")
            ax.plot(mean, frac, marker="o", label=tag)
    _finish(
        fig,
        ax,
        "mean predicted probability",
        "fraction positive",
        out_dir / f"{slug}_calibration.png",
    )


def _finish(fig: Any, ax: Any, xlabel: str, ylabel: str, path: Path) -> None:
    import matplotlib.pyplot as plt

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
