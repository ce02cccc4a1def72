"""Training: fit the pipeline, choose per-tag thresholds on validation, write the artifact."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy
import sklearn
import skops

from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS, FeatureConfig, build_pipeline
from training.dataio import LabeledNotes, fingerprint

# Weapon recall comes first (a missed weapon sends an unarmed team into danger): its threshold
# maximizes F2 subject to a recall floor; the other tags maximize F1. The floor is 0.95, not
# the 0.97 target: on the pooled hand-written dev sets, the last points of recall cost about
# three false weapons each (decoys raised, routine calls escalated), and probabilities just
# under the threshold are flagged uncertain (needs_review) rather than dropped.
BETA = {"mental_health": 1.0, "drugs": 1.0, "weapon": 2.0}
RECALL_FLOOR = {"mental_health": 0.0, "drugs": 0.0, "weapon": 0.95}
THRESHOLD_RANGE = (0.15, 0.6)  # synthetic validation is cleaner than real notes: stay central
BAND_BELOW, BAND_ABOVE = 0.5, 0.25


@dataclass
class TrainResult:
    """A fitted model with its validation figures."""

    model: TriageModel
    val_probs: np.ndarray
    val_truth: np.ndarray
    seconds: float


def split(notes: LabeledNotes, val_fraction: float, seed: int) -> tuple[LabeledNotes, ...]:
    """Deterministic train/validation split."""
    order = np.random.default_rng(seed).permutation(len(notes))
    cut = int(len(notes) * (1 - val_fraction))
    return notes.subset(order[:cut].tolist()), notes.subset(order[cut:].tolist())


def choose_threshold(truth: np.ndarray, probs: np.ndarray, tag: str) -> float:
    """Center of the best F-beta plateau that meets the tag's recall floor."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    beta2 = BETA[tag] ** 2
    best, scores = -1.0, []
    for thr in grid:
        pred = probs >= thr
        tp = float((pred & (truth == 1)).sum())
        fp, fn = float((pred & (truth == 0)).sum()), float((~pred & (truth == 1)).sum())
        recall = tp / (tp + fn) if tp + fn else 1.0
        denom = (1 + beta2) * tp + beta2 * fn + fp
        score = (1 + beta2) * tp / denom if denom else 0.0
        scores.append(score if recall >= RECALL_FLOOR[tag] else -1.0)
        best = max(best, scores[-1])
    if best < 0:  # the recall floor cannot be met: fall back to the best F-beta
        return choose_threshold_unconstrained(truth, probs, tag)
    plateau = [thr for thr, s in zip(grid, scores, strict=True) if s >= best - 0.002]
    center = float(np.median(plateau)) if plateau else 0.5
    return round(float(np.clip(center, *THRESHOLD_RANGE)), 4)


def choose_threshold_unconstrained(truth: np.ndarray, probs: np.ndarray, tag: str) -> float:
    """Center of the best F-beta plateau, ignoring the recall floor."""
    floor = RECALL_FLOOR[tag]
    RECALL_FLOOR[tag] = 0.0
    try:
        return choose_threshold(truth, probs, tag)
    finally:
        RECALL_FLOOR[tag] = floor


def uncertain_band(threshold: float) -> tuple[float, float]:
    """Probabilities close enough to the threshold that a human should look twice."""
    return (round(threshold * BAND_BELOW, 4), round(threshold + (1 - threshold) * BAND_ABOVE, 4))


def fit(
    train: LabeledNotes,
    val: LabeledNotes,
    config: FeatureConfig,
    jargon: list[list[str]] | None = None,
    sample_weight: np.ndarray | None = None,
) -> TrainResult:
    """Fit one candidate and choose its thresholds on ``val``.

    ``sample_weight`` (one per training note) lets hand-written notes count more than
    generated ones; it reaches every per-tag logistic regression and its calibration.
    """
    start = time.perf_counter()
    pipeline = build_pipeline(config, jargon)
    if sample_weight is None:
        pipeline.fit(train.texts, train.labels)
    else:
        pipeline.fit(train.texts, train.labels, classify__sample_weight=sample_weight)
    seconds = time.perf_counter() - start
    provisional = TriageModel(
        pipeline, dict.fromkeys(MODEL_TAGS, 0.5), dict.fromkeys(MODEL_TAGS, (0.25, 0.75)), {}
    )
    probs = provisional.probabilities(val.texts)
    thresholds = {
        t: choose_threshold(val.labels[:, k], probs[:, k], t) for k, t in enumerate(MODEL_TAGS)
    }
    bands = {t: uncertain_band(thr) for t, thr in thresholds.items()}
    model = TriageModel(pipeline, thresholds, bands, {"feature_config": config.as_dict()})
    return TrainResult(model, probs, val.labels, seconds)


def rethreshold(model: TriageModel, notes: LabeledNotes) -> TriageModel:
    """Thresholds and uncertain bands chosen on ``notes`` (the hand-written dev set)."""
    probs = model.probabilities(notes.texts)
    thresholds = {
        t: choose_threshold(notes.labels[:, k], probs[:, k], t) for k, t in enumerate(MODEL_TAGS)
    }
    bands = {t: uncertain_band(thr) for t, thr in thresholds.items()}
    return TriageModel(model.pipeline, thresholds, bands, dict(model.metadata))


def metadata(
    result: TrainResult,
    train: LabeledNotes,
    config: FeatureConfig,
    name: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """What the artifact records about itself.

    The version hashes the training data together with everything else that shapes the model
    (feature configuration, jargon table, cue lexicon, typo targets, thresholds): two artifacts
    with one version behave the same, and a change to any of these makes a new version.
    """
    digest = fingerprint(train)
    return {
        "name": name,
        "version": f"{name}-{model_digest(digest, config, result.model, extra)[:12]}",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_data": {
            "sha256": digest,
            "n_notes": len(train),
            "positives": dict(zip(MODEL_TAGS, train.labels.sum(0).tolist(), strict=True)),
        },
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "skops": skops.__version__,
        },
        "feature_config": config.as_dict(),
        "fit_seconds": round(result.seconds, 2),
        "thresholds": result.model.thresholds,
        "uncertain_bands": {t: list(b) for t, b in result.model.bands.items()},
        **extra,
    }


def model_digest(
    data_digest: str,
    config: FeatureConfig,
    model: TriageModel,
    extra: dict[str, Any] | None = None,
) -> str:
    """sha256 of the training data fingerprint (hand-written notes included) and what the code
    makes of the data, the hand-written notes' weight included."""
    from service.classifier import cue_lexicon, lexicon

    normalizer = model.pipeline.named_steps["normalize"]
    parts = {
        "data": data_digest,
        "config": config.as_dict(),
        "jargon": normalizer.jargon,
        "known_words": normalizer.known_words_.tolist(),
        "cues": cue_lexicon.CUE_GROUPS,
        "patterns": cue_lexicon.PATTERNS,
        "typo_targets": list(lexicon.TYPO_TARGETS),
        "thresholds": model.thresholds,
        "corpus_weight": ((extra or {}).get("hand_written") or {}).get("weight"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def finalize(result: TrainResult, meta: dict[str, Any]) -> TriageModel:
    """The model with its full metadata attached."""
    model = result.model
    return TriageModel(model.pipeline, model.thresholds, model.bands, meta)


DEFAULT_CONFIG = FeatureConfig(
    name="word+char+cues+negex", C=3.0, class_weight=None, calibration_cv=2
)
DEFAULT_N = 15_000
DEFAULT_SEED = 20261126  # make model's seed (triage train's --seed default)
VAL_FRACTION = 0.15


def synthetic(n: int, seed: int, **knobs: Any) -> LabeledNotes:
    """Generated notes as ``LabeledNotes`` (knobs: see ``GeneratorConfig``)."""
    from training.generate import GeneratorConfig, NoteGenerator

    rows = NoteGenerator(GeneratorConfig(n=n, seed=seed, **knobs)).generate()
    return LabeledNotes(
        [r["narrative"] for r in rows],
        np.array([[r[t] for t in MODEL_TAGS] for r in rows], dtype=np.int8),
        [r["id"] for r in rows],
        [r["kind"] for r in rows],
    )


def evaluate_on(model: TriageModel, notes: LabeledNotes) -> dict[str, Any]:
    """Headline metrics of ``model`` on ``notes`` (see ``training.metrics.summarize``)."""
    from training.metrics import summarize

    probs = model.probabilities(notes.texts)
    pred = (probs >= np.array([model.thresholds[t] for t in MODEL_TAGS])).astype(int)
    return summarize(notes.labels, pred, probs, notes.kinds).as_dict()
