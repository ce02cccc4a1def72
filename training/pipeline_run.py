"""The whole training run behind ``triage train`` (and ``make model``)."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from service.classifier.artifact import save_model
from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS, FeatureConfig
from training.baseline import KeywordBaseline
from training.dataio import LabeledNotes, load_labeled
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
    dev: Path | None,
    holdout: Path | None,
    compare: bool,
    card: Path | None,
) -> dict[str, Any]:
    """Train, evaluate, check fairness, write the artifact and its model card."""
    from training.dataio import DatasetSpec
    from training.generate import GeneratorConfig

    steps = tqdm(total=5, desc="training", unit="step")
    notes = load_labeled(data, DatasetSpec(text_column=text_column)) if data else synthetic(n, seed)
    train_set, val_set = split(notes, VAL_FRACTION, seed)
    steps.update()
    result = fit(train_set, val_set, DEFAULT_CONFIG)
    threshold_source = "synthetic validation split"
    if dev is not None and Path(dev).exists():
        # Real notes score lower than clean synthetic ones: thresholds are chosen on the
        # hand-written dev set (a model-selection set), weapon recall first.
        result.model = rethreshold(result.model, load_labeled(dev))
        threshold_source = f"hand-written dev set ({Path(dev).name})"
    steps.update()
    evals = _evaluations(result.model, seed, dev, holdout)
    steps.update()
    fairness = _fairness(result.model, dev, seed)
    steps.update()
    extra: dict[str, Any] = {
        "metrics": evals,
        "fairness": fairness.as_dict(),
        "threshold_source": threshold_source,
    }
    extra["generator"] = None if data else asdict(GeneratorConfig(n=n, seed=seed))
    if compare and dev and dev.exists():
        extra["candidates"] = compare_candidates(train_set, val_set, load_labeled(dev))
    meta = metadata(result, train_set, DEFAULT_CONFIG, "triage-default", extra)
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


def _evaluations(
    model: TriageModel, seed: int, dev: Path | None, holdout: Path | None
) -> dict[str, Any]:
    """Synthetic test split (a fresh seed), dev and holdout figures."""
    evals = {"synthetic_test": evaluate_on(model, synthetic(SYNTHETIC_TEST_N, seed + 1))}
    for name, path in (("dev", dev), ("holdout", holdout)):
        if path is not None and Path(path).exists():
            evals[name] = evaluate_on(model, load_labeled(path))
    return evals


def _fairness(model: TriageModel, dev: Path | None, seed: int) -> Any:
    """Counterfactual check over the dev notes (or synthetic notes without a dev set)."""
    texts = (
        load_labeled(dev).texts
        if dev is not None and Path(dev).exists()
        else synthetic(300, seed + 2).texts
    )
    return counterfactual_check(model, texts)


def compare_candidates(
    train_set: LabeledNotes, val_set: LabeledNotes, dev: LabeledNotes
) -> list[dict[str, Any]]:
    """Each candidate (and the keyword baseline) trained on the same data, scored on dev."""
    rows = [_row("keyword baseline", KeywordBaseline().predict(dev.texts), None, dev, 0.0)]
    for config in tqdm(CANDIDATES, desc="candidates", unit="model"):
        start = time.perf_counter()
        result = fit(train_set, val_set, replace(config))
        probs = result.model.probabilities(dev.texts)
        pred = (probs >= np.array([result.model.thresholds[t] for t in MODEL_TAGS])).astype(int)
        rows.append(_row(config.name, pred, probs, dev, time.perf_counter() - start))
    return rows


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
