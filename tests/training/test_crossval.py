"""Cross-set evaluation: each dev set is judged by thresholds chosen on the others."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.classifier import load_model
from service.classifier.model import TriageModel
from training.crossval import _writer_fold, by_writer, cross_set, headline, main, thresholds_on
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


def test_by_writer_scores_each_writer_with_a_model_trained_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = []
    for letter in "abc":
        lines = Path(f"training/corpus/written-{letter}.jsonl").read_text().splitlines()
        corpus.append(tmp_path / f"written-{letter}.jsonl")
        corpus[-1].write_text("\n".join(lines[:40]) + "\n")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("\n".join((DEVSET / "dev.jsonl").read_text().splitlines()[:80]) + "\n")
    result = by_writer(corpus, [dev], weight=10.0, c=3.0, n=400)
    assert result["summary"]["n"] == 120
    assert set(result["macro_f1_per_writer"]) == {"written-a", "written-b", "written-c"}
    # every misread note is listed, with what it should have been and what it got
    wrong = [e for e in result["errors"] if e["truth"] != e["pred"]]
    assert wrong == result["errors"]
    assert 1 - len(wrong) / 120 == pytest.approx(result["summary"]["exact_match"])
    # The fold that leaves a writer out reads that writer's file once: to score it.
    import training.crossval as crossval

    read: list[Path] = []

    def spy(path: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(Path(path))
        return load_labeled(path, *args, **kwargs)

    monkeypatch.setattr(crossval, "load_labeled", spy)
    notes, pred, probs = _writer_fold(corpus[0], corpus, [dev], 10.0, 3.0, 400)
    assert len(notes.labels) == len(pred) == len(probs) == len(notes.kinds) == len(notes) == 40
    assert read.count(corpus[0]) == 1 and read[-1] == corpus[0]
    assert read.count(corpus[1]) == read.count(corpus[2]) == 1
