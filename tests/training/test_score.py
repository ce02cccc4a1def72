"""``triage score``: batch scoring of note files, in order, in one or several processes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from service.classifier import load_model
from service.cli import app
from service.config import get_settings
from training.dataio import DataError, write_rows
from training.generate import GeneratorConfig, NoteGenerator
from training.score import COLUMNS, score_file

runner = CliRunner()


@pytest.fixture(scope="module")
def model_path() -> Path:
    return get_settings().model_path


@pytest.fixture(scope="module")
def model(model_path: Path):  # type: ignore[no-untyped-def]
    return load_model(model_path)


@pytest.fixture(scope="module")
def notes() -> list[dict]:
    """Unlabeled notes (id and narrative only), plus one row without an id."""
    generator = NoteGenerator(GeneratorConfig(n=230, seed=7))
    rows = [generator.note(i) for i in range(230)]
    out = [{"id": f"call-{i:04d}", "narrative": r["narrative"]} for i, r in enumerate(rows)]
    out[5]["id"] = ""
    return out


def _read(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return pq.read_table(path).to_pylist()


def _expected(model, notes: list[dict]) -> list[tuple]:  # type: ignore[no-untyped-def]
    predictions = model.classify_many([n["narrative"] for n in notes], explain=False)
    rows = []
    for number, (note, p) in enumerate(zip(notes, predictions, strict=True), start=1):
        present = ";".join(t for t in ("mental_health", "drugs", "weapon") if p.tags[t].present)
        rows.append(
            (
                note["id"] or f"row-{number}",
                p.tags["mental_health"].probability,
                p.tags["drugs"].probability,
                p.tags["weapon"].probability,
                present,
                int(p.tags["routine"].present),
                model.version,
            )
        )
    return rows


def _as_tuples(rows: list[dict]) -> list[tuple]:
    out = []
    for r in rows:
        probs = tuple(float(r[c]) for c in COLUMNS[1:4])
        present = r["present"] or ""
        out.append((r["id"], *probs, present, int(r["routine"]), r["model_version"]))
    return out


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_scores_match_classify_many_in_input_order(tmp_path, model, model_path, notes, suffix):
    data = write_rows(notes, tmp_path / f"notes{suffix}")
    out = tmp_path / f"scores{suffix}"
    summary = score_file(data, out, model, model_path, workers=1, chunk_size=37)
    assert summary.notes == len(notes)
    rows = _read(out)
    assert list(rows[0]) == list(COLUMNS)
    assert _as_tuples(rows) == _expected(model, notes)  # same floats, same order, row-N ids
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_two_workers_agree_with_one(tmp_path, model, model_path, notes):
    data = write_rows(notes, tmp_path / "notes.jsonl")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    score_file(data, one, model, model_path, workers=1, chunk_size=11)
    score_file(data, two, model, model_path, workers=2, chunk_size=11)  # 21 chunks, 2 pools
    assert one.read_bytes() == two.read_bytes()


def test_labeled_file_and_other_text_column(tmp_path, model, model_path):
    rows = [
        {"note": "RP SAYS SUBJ HAS A KNIFE", "mental_health": 0, "drugs": 0, "weapon": 1},
        {"note": "NOISE COMPLAINT, MUSIC", "mental_health": 0, "drugs": 0, "weapon": 0},
    ]
    data = write_rows(rows, tmp_path / "labeled.csv")
    out = tmp_path / "scores.parquet"
    score_file(data, out, model, model_path, workers=1, text_column="note")
    got = pq.read_table(out)
    assert got.schema.field("p_weapon").type == pa.float64()
    assert got.column("id").to_pylist() == ["row-1", "row-2"]
    assert got.column("routine").to_pylist() == [
        int(p.tags["routine"].present) for p in model.classify_many([r["note"] for r in rows])
    ]


def test_bad_row_fails_with_row_and_column_and_leaves_no_output(tmp_path, model, model_path):
    rows = [{"id": str(i), "narrative": f"CHECK WELFARE {i}"} for i in range(50)]
    rows[41]["narrative"] = "   "
    data = write_rows(rows, tmp_path / "notes.csv")
    out = tmp_path / "scores.csv"
    with pytest.raises(DataError) as info:
        score_file(data, out, model, model_path, workers=2, chunk_size=10)
    assert (info.value.row, info.value.column) == (42, "narrative")
    assert list(tmp_path.iterdir()) == [data]  # neither the output nor a partial file


def test_cli_scores_a_file_and_reports_bad_files(tmp_path, notes, model_path):
    data = write_rows(notes[:20], tmp_path / "notes.jsonl")
    out = tmp_path / "out.jsonl"
    args = ["score", "--data", str(data), "--out", str(out), "--workers", "1"]
    result = runner.invoke(app, [*args, "--model", str(model_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "scored 20 notes" in result.output
    ids = [n["id"] or f"row-{i}" for i, n in enumerate(notes[:20], start=1)]
    assert [r["id"] for r in _read(out)] == ids

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "narrative": "OK NOTE"}\n{"id": "b", "text": "x"}\n')
    result = runner.invoke(app, ["score", "--data", str(bad), "--out", str(tmp_path / "b.csv")])
    assert result.exit_code == 2
    assert "row 2, column 'narrative': missing narrative column" in result.output
    assert not (tmp_path / "b.csv").exists()


def test_cli_refuses_a_file_that_is_not_a_model(tmp_path):
    data = write_rows([{"narrative": "CHECK WELFARE"}], tmp_path / "notes.csv")
    fake = tmp_path / "model.skops"
    fake.write_text("not a model")
    args = ["score", "--data", str(data), "--out", str(tmp_path / "o.csv"), "--model", str(fake)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "refusing to load model artifact" in result.output
    assert not (tmp_path / "o.csv").exists()
