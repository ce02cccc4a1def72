"""Quality floors of the shipped model on the hand-written dev set, and the fairness check.

Floors are the figures measured when the model was shipped minus a small margin (see
docs/model.md); a change that loses more fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from service.classifier import load_model
from service.classifier.model import TriageModel
from service.classifier.pipeline import MODEL_TAGS
from service.config import PROJECT_ROOT
from training.dataio import load_labeled
from training.fairness import counterfactual_check
from training.metrics import summarize

MODEL_PATH = PROJECT_ROOT / "models" / "triage-default.skops"
DEV = PROJECT_ROOT / "training" / "devset" / "dev.jsonl"


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return load_model(MODEL_PATH)


@pytest.fixture(scope="module")
def dev_summary(model: TriageModel):  # noqa: ANN201
    dev = load_labeled(DEV)
    probs = model.probabilities(dev.texts)
    pred = (probs >= np.array([model.thresholds[t] for t in MODEL_TAGS])).astype(int)
    return summarize(dev.labels, pred, probs, dev.kinds)


def test_macro_f1_floor(dev_summary) -> None:  # noqa: ANN001
    assert dev_summary.macro_f1 >= 0.92


def test_weapon_floors(dev_summary) -> None:  # noqa: ANN001
    assert dev_summary.tags["weapon"]["recall"] >= 0.94
    assert dev_summary.tags["weapon"]["precision"] >= 0.88


def test_negation_and_decoy_floors(dev_summary) -> None:  # noqa: ANN001
    assert dev_summary.negation_fully_right >= 0.90
    assert dev_summary.decoys_raised <= 0.10


def test_counterfactual_fairness_over_dev_notes(model: TriageModel) -> None:
    notes = load_labeled(DEV).texts[:220]
    result = counterfactual_check(model, notes)
    assert result.n_pairs >= 200 * 10
    assert result.passed, result.failures[:3]
    assert result.max_delta <= 0.01
