"""Labeled dispatch notes in and out: CSV, JSONL or Parquet.

A dataset has a narrative column and one 0/1 column per tag (names configurable through
``DatasetSpec``). Bad files fail with ``DataError`` naming the file, the row (1-based, data rows
only), the column and what is wrong. ``iter_chunks`` streams large files in bounded memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODEL_TAGS = ("mental_health", "drugs", "weapon")
TRUE_VALUES = {"1", "true", "yes", "y", "t"}
FALSE_VALUES = {"0", "false", "no", "n", "f"}
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


class DataError(ValueError):
    """A labeled-data file is unusable; the message says where and why."""

    def __init__(self, path: str | Path, row: int | None, column: str | None, problem: str):
        self.path, self.row, self.column, self.problem = str(path), row, column, problem
        where = f"row {row}" if row is not None else "header"
        col = f", column '{column}'" if column else ""
        super().__init__(f"{path}: {where}{col}: {problem}")


@dataclass
class DatasetSpec:
    """Column names of a labeled dataset."""

    text_column: str = "narrative"
    tag_columns: dict[str, str] = field(default_factory=lambda: {t: t for t in MODEL_TAGS})
    id_column: str = "id"
    kind_column: str = "kind"


@dataclass
class LabeledNotes:
    """Notes with their labels (``labels`` is notes x 3, in ``MODEL_TAGS`` order)."""

    texts: list[str]
    labels: np.ndarray
    ids: list[str]
    kinds: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Iterable[int]) -> LabeledNotes:
        """The notes at ``index``."""
        idx = list(index)
        return LabeledNotes(
            [self.texts[i] for i in idx],
            self.labels[idx],
            [self.ids[i] for i in idx],
            [self.kinds[i] for i in idx],
        )


def concat(parts: Iterable[LabeledNotes]) -> LabeledNotes:
    """Several labeled sets as one, in order (empty parts are skipped)."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return LabeledNotes([], np.zeros((0, len(MODEL_TAGS)), dtype=np.int8), [], [])
    return LabeledNotes(
        [t for part in parts for t in part.texts],
        np.vstack([part.labels for part in parts]),
        [i for part in parts for i in part.ids],
        [k for part in parts for k in part.kinds],
    )


def file_format(path: str | Path) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from the file name."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(path, None, None, f"unknown file type {suffix!r} (csv, jsonl, parquet)")
    return FORMATS[suffix]


def load_labeled(path: str | Path, spec: DatasetSpec | None = None) -> LabeledNotes:
    """Read and validate a whole labeled file."""
    chunks = list(iter_chunks(path, spec, chunk_size=50_000))
    if not chunks:
        raise DataError(path, None, None, "the file has no rows")
    return LabeledNotes(
        [t for c in chunks for t in c.texts],
        np.vstack([c.labels for c in chunks]),
        [i for c in chunks for i in c.ids],
        [k for c in chunks for k in c.kinds],
    )


def iter_chunks(
    path: str | Path, spec: DatasetSpec | None = None, chunk_size: int = 10_000
) -> Iterator[LabeledNotes]:
    """Validated chunks of at most ``chunk_size`` notes, read lazily."""
    spec = spec or DatasetSpec()
    batch: list[tuple[int, dict[str, Any]]] = []
    for row_number, record in _records(path):
        batch.append((row_number, record))
        if len(batch) >= chunk_size:
            yield _validate(path, batch, spec)
            batch = []
    if batch:
        yield _validate(path, batch, spec)


def iter_narratives(
    path: str | Path,
    text_column: str = "narrative",
    id_column: str = "id",
    chunk_size: int = 10_000,
) -> Iterator[tuple[list[str], list[str]]]:
    """(ids, narratives) chunks of an unlabeled (or labeled) file, read lazily, in file order.

    Only the narrative is checked (tag columns, if any, are ignored); a missing or empty
    narrative raises ``DataError`` with the row and column. A row without an id gets
    ``row-N``, N its 1-based data row.
    """
    ids: list[str] = []
    texts: list[str] = []
    for number, record in _records(path):
        texts.append(_text(path, number, record, text_column))
        value = record.get(id_column)
        ids.append(f"row-{number}" if value is None or value == "" else str(value))
        if len(texts) >= chunk_size:
            yield ids, texts
            ids, texts = [], []
    if texts:
        yield ids, texts


def _records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, record) pairs of any supported format."""
    fmt = file_format(path)
    if not Path(path).exists():
        raise DataError(path, None, None, "file not found")
    if fmt == "csv":
        yield from _csv_records(path)
    elif fmt == "jsonl":
        yield from _jsonl_records(path)
    else:
        yield from _parquet_records(path)


def _csv_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise DataError(path, None, None, "the file has no header row")
        for number, record in enumerate(reader, start=1):
            if None in record:
                raise DataError(path, number, None, "more cells than header columns")
            yield number, record


def _jsonl_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8") as handle:
        number = 0
        for line in handle:
            if not line.strip():
                continue
            number += 1
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(path, number, None, f"invalid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise DataError(path, number, None, "each line must be a JSON object")
            yield number, record


def _parquet_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq  # training-only dependency

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataError(path, None, None, f"not a readable Parquet file ({exc})") from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=10_000):
        for record in batch.to_pylist():
            number += 1
            yield number, record


def _validate(
    path: str | Path, batch: list[tuple[int, dict[str, Any]]], spec: DatasetSpec
) -> LabeledNotes:
    """Check every row of a chunk; the first problem raises ``DataError``."""
    texts, ids, kinds = [], [], []
    labels = np.zeros((len(batch), len(MODEL_TAGS)), dtype=np.int8)
    for i, (number, record) in enumerate(batch):
        texts.append(_text(path, number, record, spec.text_column))
        for k, tag in enumerate(MODEL_TAGS):
            labels[i, k] = _flag(path, number, record, spec.tag_columns.get(tag, tag))
        if "routine" in record and record["routine"] not in (None, ""):
            routine = _flag(path, number, record, "routine")
            if routine != int(not labels[i].any()):
                raise DataError(
                    path, number, "routine", "routine must be 1 exactly when no other tag is 1"
                )
        ids.append(str(record.get(spec.id_column) or f"row-{number}"))
        kinds.append(str(record.get(spec.kind_column) or ""))
    return LabeledNotes(texts, labels, ids, kinds)


def _text(path: str | Path, number: int, record: dict[str, Any], column: str) -> str:
    if column not in record:
        raise DataError(path, number, column, "missing narrative column")
    value = record[column]
    if not isinstance(value, str) or not value.strip():
        raise DataError(path, number, column, "narrative must be a non-empty string")
    return value


def _flag(path: str | Path, number: int, record: dict[str, Any], column: str) -> int:
    if column not in record:
        raise DataError(path, number, column, "missing tag column")
    value = record[column]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower() if value is not None else ""
    if not text:
        raise DataError(path, number, column, "tag value is empty (expected 0 or 1)")
    if text in TRUE_VALUES:
        return 1
    if text in FALSE_VALUES:
        return 0
    raise DataError(path, number, column, f"tag value must be 0 or 1, found {value!r}")


def write_rows(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Write generated or exported rows in the format given by the file name."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fmt = file_format(target)
    if fmt == "jsonl":
        with open(target, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with open(target, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["narrative"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), target)
    return target


def fingerprint(notes: LabeledNotes) -> str:
    """sha256 of the narratives and labels (the training-data fingerprint in artifacts)."""
    digest = hashlib.sha256()
    for text, row in zip(notes.texts, notes.labels, strict=True):
        digest.update(text.encode("utf-8"))
        digest.update(bytes(row.astype(np.uint8).tolist()))
    return digest.hexdigest()
