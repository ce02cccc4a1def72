"""Bring your own data: CSV, JSONL and Parquet, and errors that name row, column and problem."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from training.dataio import DataError, DatasetSpec, iter_chunks, load_labeled, write_rows

ROWS = [
    {"narrative": "SUBJ HAS A KNIFE", "mental_health": 0, "drugs": 0, "weapon": 1},
    {"narrative": "POSS OD, NARCAN GIVEN", "mental_health": 0, "drugs": 1, "weapon": 0},
    {"narrative": "LOUD MUSIC", "mental_health": 0, "drugs": 0, "weapon": 0},
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = write_rows(ROWS, tmp_path / f"notes{suffix}")
    notes = load_labeled(path)
    assert notes.texts == [r["narrative"] for r in ROWS]
    assert notes.labels.tolist() == [[0, 0, 1], [0, 1, 0], [0, 0, 0]]


def test_custom_column_names(tmp_path: Path) -> None:
    path = tmp_path / "agency.csv"
    path.write_text("text,mh,sud,wpn\nSUBJ HAS A GUN,0,0,1\n", encoding="utf-8")
    spec = DatasetSpec(
        text_column="text", tag_columns={"mental_health": "mh", "drugs": "sud", "weapon": "wpn"}
    )
    assert load_labeled(path, spec).labels.tolist() == [[0, 0, 1]]


def test_csv_bad_label_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "narrative,mental_health,drugs,weapon\nA,0,0,1\nB,0,maybe,0\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as err:
        load_labeled(path)
    assert (err.value.row, err.value.column) == (2, "drugs")
    assert "row 2, column 'drugs'" in str(err.value) and "'maybe'" in str(err.value)


def test_jsonl_missing_column_and_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"narrative": "A", "drugs": 0, "weapon": 0}) + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="row 1, column 'mental_health': missing tag column"):
        load_labeled(path)
    path.write_text('{"narrative": "A"\n', encoding="utf-8")
    with pytest.raises(DataError, match="row 1: invalid JSON"):
        load_labeled(path)


def test_parquet_empty_narrative(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    table = pa.Table.from_pylist([ROWS[0], {**ROWS[1], "narrative": "  "}])
    pq.write_table(table, path)
    with pytest.raises(DataError, match="row 2, column 'narrative': narrative must be"):
        load_labeled(path)


def test_inconsistent_routine_is_refused(tmp_path: Path) -> None:
    path = write_rows([{**ROWS[0], "routine": 1}], tmp_path / "r.jsonl")
    with pytest.raises(DataError, match="column 'routine'"):
        load_labeled(path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown file type"):
        load_labeled(tmp_path / "notes.xlsx")
    with pytest.raises(DataError, match="file not found"):
        load_labeled(tmp_path / "nope.csv")


def test_streaming_chunks(tmp_path: Path) -> None:
    path = write_rows(ROWS * 5, tmp_path / "many.jsonl")
    sizes = [len(chunk) for chunk in iter_chunks(path, chunk_size=4)]
    assert sizes == [4, 4, 4, 3]
