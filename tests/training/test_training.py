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


def head(source: Path, n: int, target: Path) -> Path:
    """The first ``n`` lines of ``source``, written to ``target``."""
    target.write_text("".join(source.read_text().splitlines(keepends=True)[:n]))
    return target


def test_run_training_with_hand_written_notes_and_candidates(tmp_path: Path) -> None:
    """triage train's whole run: generated + hand-written notes (weighted), thresholds on the
    pooled dev files, every set reported by file name, the candidate table, and a version
    that changes with the hand-written notes' weight."""
    import json

    from training.pipeline_run import run_training

    root = Path(__file__).resolve().parents[2]
    corpus = head(root / "training/corpus/written-a.jsonl", 60, tmp_path / "corpus.jsonl")
    dev_a = head(root / "training/devset/dev.jsonl", 60, tmp_path / "dev_a.jsonl")
    dev_b = head(root / "training/devset/dev2.jsonl", 40, tmp_path / "dev_b.jsonl")
    report = head(root / "training/devset/dev3.jsonl", 40, tmp_path / "report_only.jsonl")
    common = dict(seed=3, n=900, data=None, text_column="narrative", card=None)
    summary = run_training(
        out=tmp_path / "m.skops",
        dev=[dev_a, dev_b, tmp_path / "missing.jsonl"],
        holdout=[report],
        compare=True,
        corpus=[corpus],
        corpus_weight=10.0,
        **common,
    )
    model = load_model(tmp_path / "m.skops")
    meta = model.metadata
    assert meta["hand_written"] == {"files": [str(corpus)], "n_notes": 60, "weight": 10.0}
    assert meta["training_data"]["n_notes"] == int(900 * 0.85) + 60
    assert set(meta["metrics"]) == {"synthetic_test", "dev_a", "dev_b", "report_only"}
    assert meta["threshold_source"] == "hand-written dev sets (dev_a.jsonl, dev_b.jsonl)"
    names = [row["name"] for row in meta["candidates"]]
    assert names[0] == "keyword baseline" and any("generated notes only" in n for n in names)
    assert summary["version"] == model.version
    assert (tmp_path / "MODEL_CARD.md").read_text().count("### ") == 4
    json.dumps(meta)  # the metadata stays JSON-ready

    again = run_training(
        out=tmp_path / "w.skops", dev=[dev_a, dev_b], holdout=[report], compare=False,
        corpus=[corpus], corpus_weight=1.0, name="springfield", **common,
    )  # fmt: skip
    assert again["version"] != summary["version"]
    assert summary["version"].startswith("triage-default-")
    assert again["version"].startswith("springfield-")
    assert load_model(tmp_path / "w.skops").metadata["name"] == "springfield"


def test_train_refuses_a_named_evaluation_file_that_does_not_exist(tmp_path: Path) -> None:
    """The default dev and holdout files are skipped when absent; one named on the command
    line must exist (a typo must not silently train with thresholds from another set)."""
    from typer.testing import CliRunner

    from service.cli import app

    out = tmp_path / "never.skops"
    for option in ("--dev", "--holdout"):
        missing = tmp_path / f"missing{option}.jsonl"
        args = ["train", "--n", "300", "--out", str(out), option, str(missing)]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "500"})
        assert result.exit_code == 2, result.output
        assert "file not found" in result.output and missing.name in result.output
    assert not out.exists()


def test_train_refuses_a_model_name_that_cannot_start_a_version(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from service.cli import app

    out = tmp_path / "never.skops"
    for bad in ("Springfield PD", "-x", "a/b", "x" * 41):
        args = ["train", "--n", "300", "--out", str(out), "--name", bad]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "500"})
        assert result.exit_code == 2 and "--name" in result.output, (bad, result.output)
    assert not out.exists()


def test_train_command_versions_the_model_by_name_with_the_default_corpus_weight(
    tmp_path: Path,
) -> None:
    """``triage train --name`` reaches the artifact; the corpus weight defaults to 40."""
    from typer.testing import CliRunner

    from service.cli import app
    from training.pipeline_run import CORPUS_WEIGHT

    root = Path(__file__).resolve().parents[2]
    corpus = head(root / "training/corpus/written-b.jsonl", 40, tmp_path / "corpus.jsonl")
    dev = head(root / "training/devset/dev.jsonl", 60, tmp_path / "dev.jsonl")
    out = tmp_path / "agency.skops"
    args = ["train", "--n", "400", "--seed", "5", "--out", str(out), "--name", "springfield",
            "--corpus", str(corpus), "--dev", str(dev), "--holdout", str(dev)]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "500"})
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.version.startswith("springfield-") and model.metadata["name"] == "springfield"
    assert model.metadata["hand_written"]["weight"] == CORPUS_WEIGHT == 40.0


def test_model_card_limits_name_the_artifacts_own_data() -> None:
    from training.model_card import build_card

    meta = {
        "hand_written": {"n_notes": 10935, "files": ["a.jsonl", "b.jsonl"], "weight": 40.0},
        "metrics": {"synthetic_test": {}, "dev": {}, "holdout4": {}},
    }
    limits = " ".join(build_card(meta)["limits"])
    assert "10,935 hand-written ones (2 files" in limits
    assert "evaluation sets (dev, holdout4)" in limits
    assert "{" not in limits
