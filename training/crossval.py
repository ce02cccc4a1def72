"""Cross-set evaluation: every dev set scored with thresholds it did not choose.

The shipped model's thresholds are chosen on the dev sets pooled, so its dev figures are
in-sample. This module rotates: thresholds are chosen on all dev sets but one and applied to
the one left out; the pooled predictions of every rotation are then scored together, each note
judged by thresholds chosen without it. The classifier's weights never see a dev set (they are
not trained on), so one fitted artifact serves every rotation.

    python -m training.crossval --model models/triage-default.skops
    python -m training.crossval --model a.skops --model b.skops --json out.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS
from training.dataio import LabeledNotes, concat, load_labeled
from training.metrics import summarize
from training.train import choose_threshold

DEV_SETS = [Path("training/devset") / f"{name}.jsonl" for name in ("dev", "dev2", "dev3")]


def thresholds_on(truth: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per-tag thresholds chosen the way ``triage train`` chooses them (weapon recall first)."""
    return np.array(
        [choose_threshold(truth[:, k], probs[:, k], tag) for k, tag in enumerate(MODEL_TAGS)]
    )


def cross_set(model: TriageModel, sets: Sequence[LabeledNotes]) -> dict[str, Any]:
    """Summary of the pooled left-out predictions, plus each rotation's thresholds."""
    if len(sets) < 2:
        raise ValueError("cross-set evaluation needs at least two dev sets")
    probs = [model.probabilities(notes.texts) for notes in sets]
    preds, rotations = [], []
    for held in range(len(sets)):
        others = [k for k in range(len(sets)) if k != held]
        truth = np.vstack([sets[k].labels for k in others])
        chosen = thresholds_on(truth, np.vstack([probs[k] for k in others]))
        preds.append((probs[held] >= chosen).astype(int))
        rotations.append(dict(zip(MODEL_TAGS, chosen.round(4).tolist(), strict=True)))
    pooled = concat(sets)
    summary = summarize(pooled.labels, np.vstack(preds), np.vstack(probs), pooled.kinds)
    return {"summary": summary.as_dict(), "thresholds_per_rotation": rotations}


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures issue 3 sets targets on, rounded for a table."""
    s = result["summary"]
    weapon = s["tags"]["weapon"]
    return {
        "notes": s["n"],
        "macro_f1": round(s["macro_f1"], 3),
        "weapon_precision": round(weapon["precision"], 3),
        "weapon_recall": round(weapon["recall"], 3),
        "negation_fully_right": round(s["negation_fully_right"] or 0.0, 3),
        "decoys_raised": round(s["decoys_raised"] or 0.0, 3),
        "long_update_fully_right": round(
            s["by_kind"].get("long_update", {}).get("fully_right", 0), 3
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print each model's cross-set headline figures (and optionally write them as JSON)."""
    from service.classifier import load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--dev", type=Path, action="append", help="default: dev, dev2, dev3")
    parser.add_argument("--json", type=Path, help="write the full summaries here")
    args = parser.parse_args(argv)
    sets = [load_labeled(path) for path in (args.dev or DEV_SETS)]
    full = {}
    for path in args.model:
        model = load_model(path)
        full[str(path)] = result = cross_set(model, sets)
        print(model.version, json.dumps(headline(result)))
    if args.json:
        args.json.write_text(json.dumps(full, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - command line
    raise SystemExit(main())
