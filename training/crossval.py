"""Cross-set evaluation: every dev set scored with thresholds it did not choose.

The shipped model's thresholds are chosen on the dev sets pooled, so its dev figures are
in-sample. This module rotates: thresholds are chosen on all dev sets but one and applied to
the one left out; the pooled predictions of every rotation are then scored together, each note
judged by thresholds chosen without it. The classifier's weights never see a dev set (they are
not trained on), so one fitted artifact serves every rotation.

``--by-writer`` is the larger test of a training recipe: for each hand-written corpus file
(one writer), a model is trained on the generated notes and every other writer's file,
thresholds are chosen on the dev sets as ``triage train`` does, and the left-out writer's notes
are scored; all writers' notes (5,000+) are then summarized together. It measures how the
recipe does on a writer it has never seen, with far less noise than the 744 dev notes.

    python -m training.crossval --model models/triage-default.skops
    python -m training.crossval --model a.skops --model b.skops --json out.json
    python -m training.crossval --by-writer --corpus-weight 40 --workers 2   # ~15 min, 36 writers
    python -m training.crossval --by-writer --json lowo.json   # "errors": every misread note
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS
from training.dataio import LabeledNotes, concat, load_labeled
from training.metrics import summarize
from training.train import (
    DEFAULT_CONFIG,
    DEFAULT_N,
    DEFAULT_SEED,
    VAL_FRACTION,
    choose_threshold,
    fit,
    rethreshold,
    split,
    synthetic,
)

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


def _writer_fold(
    held: Path, corpus: Sequence[Path], dev: Sequence[Path], weight: float, c: float, n: int
) -> tuple[LabeledNotes, np.ndarray, np.ndarray]:
    """Train without ``held`` (seed and notes as ``make model``), score ``held``: its notes
    (with their labels and kinds), the predictions and the probabilities."""
    train_set, val_set = split(synthetic(n, DEFAULT_SEED), VAL_FRACTION, DEFAULT_SEED)
    written = concat(load_labeled(path) for path in corpus if path != held)
    weights = np.concatenate([np.ones(len(train_set)), np.full(len(written), weight)])
    result = fit(
        concat([train_set, written]), val_set, replace(DEFAULT_CONFIG, C=c), sample_weight=weights
    )
    model = rethreshold(result.model, concat(load_labeled(path) for path in dev))
    notes = load_labeled(held)
    probs = model.probabilities(notes.texts)
    chosen = np.array([model.thresholds[tag] for tag in MODEL_TAGS])
    return notes, (probs >= chosen).astype(int), probs


def _errors(notes: LabeledNotes, pred: np.ndarray, probs: np.ndarray) -> list[dict[str, Any]]:
    """The notes a fold got wrong, with truth, prediction and probabilities per tag."""
    truth = notes.labels
    wrong = np.flatnonzero((truth != pred).any(axis=1))
    return [
        {
            "id": notes.ids[i],
            "kind": notes.kinds[i],
            "truth": dict(zip(MODEL_TAGS, truth[i].tolist(), strict=True)),
            "pred": dict(zip(MODEL_TAGS, pred[i].tolist(), strict=True)),
            "probs": dict(zip(MODEL_TAGS, probs[i].round(3).tolist(), strict=True)),
            "narrative": notes.texts[i],
        }
        for i in wrong
    ]


def by_writer(
    corpus: Sequence[Path],
    dev: Sequence[Path],
    *,
    weight: float,
    c: float,
    workers: int = 1,
    n: int | None = None,
) -> dict[str, Any]:
    """Leave one writer out: every corpus file scored by a model trained without it."""
    n = DEFAULT_N if n is None else n
    args = [(held, corpus, dev, weight, c, n) for held in corpus]
    with ProcessPoolExecutor(max(1, workers)) as pool:
        folds = list(pool.map(_writer_fold, *zip(*args, strict=True)))
    truth = np.vstack([notes.labels for notes, _, _ in folds])
    pred = np.vstack([fold_pred for _, fold_pred, _ in folds])
    probs = np.vstack([fold_probs for _, _, fold_probs in folds])
    summary = summarize(truth, pred, probs, [kind for notes, _, _ in folds for kind in notes.kinds])
    per_writer = {
        path.stem: round(summarize(notes.labels, fold_pred, None, notes.kinds).macro_f1, 3)
        for path, (notes, fold_pred, _) in zip(corpus, folds, strict=True)
    }
    errors = [e for fold in folds for e in _errors(*fold)]
    return {"summary": summary.as_dict(), "macro_f1_per_writer": per_writer, "errors": errors}


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
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument("--dev", type=Path, action="append", help="default: dev, dev2, dev3")
    parser.add_argument("--json", type=Path, help="write the full summaries here")
    parser.add_argument("--by-writer", action="store_true", help="leave one writer out")
    parser.add_argument("--corpus", type=Path, default=Path("training/corpus"))
    parser.add_argument("--corpus-weight", type=float, default=None, help="default: train's")
    parser.add_argument("--C", type=float, default=None, help="default: the shipped C")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.by_writer:
        return _main_by_writer(args)
    if not args.model:
        parser.error("give --model (one or more) or --by-writer")
    sets = [load_labeled(path) for path in (args.dev or DEV_SETS)]
    full = {}
    for path in args.model:
        model = load_model(path)
        full[str(path)] = result = cross_set(model, sets)
        print(model.version, json.dumps(headline(result)))
    if args.json:
        args.json.write_text(json.dumps(full, indent=2), encoding="utf-8")
    return 0


def _main_by_writer(args: argparse.Namespace) -> int:
    """``--by-writer``: print the pooled headline and each writer's macro-F1."""
    from training.pipeline_run import CORPUS_WEIGHT

    weight = CORPUS_WEIGHT if args.corpus_weight is None else args.corpus_weight
    c = DEFAULT_CONFIG.C if args.C is None else args.C
    corpus = sorted(args.corpus.glob("*.jsonl"))
    result = by_writer(corpus, args.dev or DEV_SETS, weight=weight, c=c, workers=args.workers)
    print(f"weight {weight:g}, C {c:g}:", json.dumps(headline(result)))
    print(json.dumps(result["macro_f1_per_writer"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - command line
    raise SystemExit(main())
