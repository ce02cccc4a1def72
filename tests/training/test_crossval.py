"""Cross-set evaluation: each dev set is judged by thresholds chosen on the others."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.classifier import load_model
from service.classifier.model import TriageModel
from training.crossval import cross_set, headline, main, thresholds_on
from training.dataio import load_labeled

DEVSET = Path("training/devset")
MODEL = Path("models/triage-default.skops")


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return load_model(MODEL)


def test_each_rotation_uses_thresholds_chosen_without_its_set(model: TriageModel) -> None:
    dev, dev2, dev3 = (load_labeled(DEVSET / f"{n}.jsonl") for n in ("dev", "dev2", "dev3"))
    result = cross_set(model, [dev, dev2, dev3])
    others = [dev2, dev3]
    truth = np.vstack([s.labels for s in others])
    probs = np.vstack([model.probabilities(s.texts) for s in others])
    expected = thresholds_on(truth, probs).round(4).tolist()
    assert list(result["thresholds_per_rotation"][0].values()) == expected
    assert result["summary"]["n"] == len(dev) + len(dev2) + len(dev3)
    # The left-out set's own thresholds would differ: the rotation is not in-sample.
    own = thresholds_on(dev.labels, model.probabilities(dev.texts)).round(4).tolist()
    assert own != expected


def test_needs_two_sets(model: TriageModel) -> None:
    with pytest.raises(ValueError, match="two dev sets"):
        cross_set(model, [load_labeled(DEVSET / "dev.jsonl")])


def test_command_prints_headline_and_writes_json(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cv.json"
    assert main(["--model", str(MODEL), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    full = json.loads(out.read_text())[str(MODEL)]
    figures = headline(full)
    assert json.dumps(figures) in printed
    assert figures["notes"] == 744 and 0.5 < figures["macro_f1"] <= 1.0
