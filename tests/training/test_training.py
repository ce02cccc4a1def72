"""Training end to end on small data: thresholds, artifact, streaming trainer, report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.classifier import load_model
from service.classifier.pipeline import FeatureConfig
from training.dataio import write_rows
from training.generate import GeneratorConfig, generate
from training.streaming import stream_fit
from training.train import choose_threshold, fit, split, synthetic

SMALL = FeatureConfig(word_max_features=3000, char_max_features=3000, calibration_cv=2)


def test_weapon_threshold_honours_the_recall_floor() -> None:
    truth = np.array([1] * 50 + [0] * 50)
    probs = np.concatenate([np.linspace(0.2, 1.0, 50), np.linspace(0.0, 0.5, 50)])
    thr = choose_threshold(truth, probs, "weapon")
    assert ((probs >= thr) & (truth == 1)).sum() / 50 >= 0.98 or thr <= 0.2


def test_small_training_run_and_artifact(tmp_path: Path) -> None:
    from service.classifier.artifact import save_model

    notes = synthetic(1500, seed=1)
    train_set, val_set = split(notes, 0.2, seed=1)
    result = fit(train_set, val_set, SMALL)
    model = result.model
    assert 0.15 <= model.thresholds["weapon"] <= 0.6
    path = save_model(model, tmp_path / "small.skops")
    loaded = load_model(path)
    assert loaded.classify("SUBJ POINTED A GUN AT RP").tags["weapon"].present


def test_streaming_trainer_produces_a_triage_model(tmp_path: Path) -> None:
    rows = generate(GeneratorConfig(n=3000, seed=4))
    path = write_rows(rows, tmp_path / "stream.jsonl")
    model = stream_fit(path, chunk_size=1000, vocabulary=5000, max_table=20_000, calibration=600)
    texts = ["SHOTS FIRED, MALE WITH A HANDGUN", "LOUD MUSIC NEXT DOOR"]
    fast = model.probabilities(texts)
    reference = np.column_stack([p[:, 1] for p in model.pipeline.predict_proba(texts)])
    assert np.abs(fast - reference).max() < 1e-5
    assert fast[0, 2] > fast[1, 2]


@pytest.mark.slow
def test_evaluation_report(tmp_path: Path) -> None:
    from training.dataio import load_labeled
    from training.evaluate import write_report

    dev = Path("training/devset/dev.jsonl")
    small = write_rows(
        [
            {
                "narrative": t,
                "mental_health": int(y[0]),
                "drugs": int(y[1]),
                "weapon": int(y[2]),
                "kind": k,
            }
            for t, y, k in list(zip(*_dev(load_labeled(dev)), strict=True))[:60]
        ],
        tmp_path / "dev_small.jsonl",
    )
    report = write_report(
        Path("models/triage-default.skops"), [small], tmp_path / "report", synthetic_seed=3
    )
    text = report.read_text()
    assert "precision" in text and "Misclassified notes by kind" in text
    assert (tmp_path / "report" / "dev_small_pr.png").exists()


def _dev(notes):  # noqa: ANN001, ANN202
    return notes.texts, notes.labels, notes.kinds
