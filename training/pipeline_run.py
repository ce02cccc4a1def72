"""The whole training run behind ``triage train`` (and ``make model``)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from service.classifier.artifact import save_model
from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS, FeatureConfig
from training.baseline import KeywordBaseline
from training.dataio import LabeledNotes, concat, load_labeled
from training.fairness import counterfactual_check
from training.metrics import summarize
from training.model_card import build_card, render_card
from training.train import (
    DEFAULT_CONFIG,
    VAL_FRACTION,
    evaluate_on,
    finalize,
    fit,
    metadata,
    rethreshold,
    split,
    synthetic,
)

SYNTHETIC_TEST_N = 3_000
# One hand-written note weighs this many generated ones (chosen on the dev sets).
CORPUS_WEIGHT = 40.0
DEFAULT_NAME = "triage-default"
# A model name starts every version string (``<name>-<12 hex>``): registry, console, API.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

CANDIDATES = [
    FeatureConfig(
        name="word tf-idf, no normalizer",
        negation=False,
        demographics=False,
        typos=False,
        use_jargon=False,
        char=False,
        cues=False,
        C=1.0,
        class_weight=None,
    ),
    FeatureConfig(name="word+char, negex+jargon", cues=False, C=1.0, class_weight=None),
    FeatureConfig(name="word+cues, negex+jargon", char=False, C=1.0, class_weight=None),
    DEFAULT_CONFIG,
]


def run_training(
    *,
    out: Path,
    seed: int,
    n: int,
    data: Path | None,
    text_column: str,
    dev: Sequence[Path] | Path | None,
    holdout: Sequence[Path] | Path | None,
    compare: bool,
    card: Path | None,
    corpus: Sequence[Path] = (),
    corpus_weight: float = CORPUS_WEIGHT,
    name: str = DEFAULT_NAME,
) -> dict[str, Any]:
    """Train, evaluate, check fairness, write the artifact and its model card.

    Training notes are the generated ones (or ``data``) plus every ``corpus`` file of
    hand-written notes, each of those weighing ``corpus_weight`` generated notes. Thresholds
    are chosen on the pooled ``dev`` sets; ``holdout`` sets are only reported.
    """
    from training.dataio import DatasetSpec
    from training.generate import GeneratorConfig

    dev_paths, holdout_paths = _existing(dev), _existing(holdout)
    steps = tqdm(total=5, desc="training", unit="step")
    notes = load_labeled(data, DatasetSpec(text_column=text_column)) if data else synthetic(n, seed)
    train_set, val_set = split(notes, VAL_FRACTION, seed)
    written = concat(load_labeled(path) for path in corpus)
    train_all = concat([train_set, written])
    weights = np.concatenate([np.ones(len(train_set)), np.full(len(written), corpus_weight)])
    steps.update()
    result = fit(train_all, val_set, DEFAULT_CONFIG, sample_weight=weights)
    threshold_source = "synthetic validation split"
    if dev_paths:
        # Real notes score lower than clean synthetic ones: thresholds are chosen on the
        # hand-written dev sets (model-selection sets), weapon recall first.
        result.model = rethreshold(result.model, concat(load_labeled(p) for p in dev_paths))
        threshold_source = "hand-written dev sets (" + ", ".join(p.name for p in dev_paths) + ")"
    steps.update()
    evals = _evaluations(result.model, seed, dev_paths, holdout_paths)
    steps.update()
    fairness = _fairness(result.model, dev_paths, seed)
    steps.update()
    extra: dict[str, Any] = {
        "metrics": evals,
        "fairness": fairness.as_dict(),
        "threshold_source": threshold_source,
        "hand_written": {
            "files": [str(path) for path in corpus],
            "n_notes": len(written),
            "weight": corpus_weight,
        },
    }
    extra["generator"] = None if data else asdict(GeneratorConfig(n=n, seed=seed))
    if compare and dev_paths:
        pooled_dev = concat(load_labeled(p) for p in dev_paths)
        extra["candidates"] = compare_candidates(
            train_all, val_set, pooled_dev, weights, generated_only=train_set
        )
    meta = metadata(result, train_all, DEFAULT_CONFIG, name, extra)
    meta["card"] = build_card(meta)
    model = finalize(result, meta)
    save_model(model, out)
    card_path = card or out.with_name("MODEL_CARD.md")
    card_path.write_text(render_card(meta["card"]), encoding="utf-8")
    steps.update()
    steps.close()
    return {
        "artifact": str(out),
        "version": model.version,
        "fit_seconds": meta["fit_seconds"],
        "thresholds": model.thresholds,
        "fairness_passed": fairness.passed,
        **{name: round(block["macro_f1"], 4) for name, block in evals.items()},
    }


def _existing(paths: Sequence[Path] | Path | None) -> list[Path]:
    """The given evaluation files that exist (one path or several)."""
    if paths is None:
        return []
    listed = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return [Path(p) for p in listed if Path(p).exists()]


def _evaluations(
    model: TriageModel, seed: int, dev: list[Path], holdout: list[Path]
) -> dict[str, Any]:
    """Synthetic test split (a fresh seed), then each dev and holdout set by file name."""
    evals = {"synthetic_test": evaluate_on(model, synthetic(SYNTHETIC_TEST_N, seed + 1))}
    for path in [*dev, *holdout]:
        evals[path.stem] = evaluate_on(model, load_labeled(path))
    return evals


def _fairness(model: TriageModel, dev: list[Path], seed: int) -> Any:
    """Counterfactual check over the dev notes (or synthetic notes without a dev set)."""
    texts = (
        concat(load_labeled(path) for path in dev).texts if dev else synthetic(300, seed + 2).texts
    )
    return counterfactual_check(model, texts)


def compare_candidates(
    train_set: LabeledNotes,
    val_set: LabeledNotes,
    dev: LabeledNotes,
    sample_weight: np.ndarray | None = None,
    generated_only: LabeledNotes | None = None,
) -> list[dict[str, Any]]:
    """Each candidate (and the keyword baseline) trained on the same data, scored on dev;
    with ``generated_only``, also the default candidate trained without hand-written notes."""
    rows = [_row("keyword baseline", KeywordBaseline().predict(dev.texts), None, dev, 0.0)]
    if generated_only is not None:
        name = f"{DEFAULT_CONFIG.name}, generated notes only"
        rows.append(_candidate(name, DEFAULT_CONFIG, generated_only, val_set, dev, None))
    for config in tqdm(CANDIDATES, desc="candidates", unit="model"):
        rows.append(_candidate(config.name, config, train_set, val_set, dev, sample_weight))
    return rows


def _candidate(
    name: str,
    config: FeatureConfig,
    train_set: LabeledNotes,
    val_set: LabeledNotes,
    dev: LabeledNotes,
    sample_weight: np.ndarray | None,
) -> dict[str, Any]:
    """Fit one candidate (thresholds from ``val_set``) and score it on ``dev``."""
    start = time.perf_counter()
    result = fit(train_set, val_set, replace(config), sample_weight=sample_weight)
    probs = result.model.probabilities(dev.texts)
    pred = (probs >= np.array([result.model.thresholds[t] for t in MODEL_TAGS])).astype(int)
    return _row(name, pred, probs, dev, time.perf_counter() - start)


def _row(
    name: str, pred: np.ndarray, probs: np.ndarray | None, dev: LabeledNotes, seconds: float
) -> dict[str, Any]:
    """One line of the candidate table."""
    s = summarize(dev.labels, pred, probs, dev.kinds)
    return {
        "name": name,
        "macro_f1": round(s.macro_f1, 4),
        **{f"f1_{t}": round(s.tags[t]["f1"], 4) for t in (*MODEL_TAGS, "routine")},
        "weapon_precision": round(s.tags["weapon"]["precision"], 4),
        "weapon_recall": round(s.tags["weapon"]["recall"], 4),
        "negation_fully_right": s.negation_fully_right,
        "decoys_raised": s.decoys_raised,
        "seconds": round(seconds, 1),
    }
