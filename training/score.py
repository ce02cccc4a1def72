"""Batch scoring for analysts: ``triage score`` re-scores a file of notes with a model.

Notes are read in chunks (``training.dataio.iter_narratives``: CSV, JSONL or Parquet), scored
with ``TriageModel.classify_many(texts, explain=False)`` in ``workers`` processes and written in
input order, chunk by chunk, so memory stays bounded by a few chunks whatever the file's size.
The output is written to a temporary file beside ``out`` and renamed only when every note was
scored: a bad row (which fails with its row and column) leaves no partial output behind.
"""

from __future__ import annotations

import csv
import gc
import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.dataio import file_format, iter_narratives

SCORED_TAGS = ("mental_health", "drugs", "weapon")
COLUMNS = ("id", *(f"p_{tag}" for tag in SCORED_TAGS), "present", "routine", "model_version")
DEFAULT_CHUNK = 2_000
# "present" of each combination of the three flags (bit k = SCORED_TAGS[k]), ";"-joined.
PRESENT_NAMES = tuple(
    ";".join(tag for k, tag in enumerate(SCORED_TAGS) if code >> k & 1) for code in range(8)
)


@dataclass
class Scores:
    """One chunk's scores: (notes x 3) probabilities and the present tags as a 3-bit code."""

    probabilities: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)


def score_texts(model: Any, texts: list[str]) -> Scores:
    """What ``classify_many(texts, explain=False)`` says of each note, as arrays: the batch
    probabilities and present = probability >= the tag's threshold (``routine`` exactly when
    none is present). ``tests/training/test_score.py`` checks it against ``classify_many``."""
    probs = np.asarray(model.probabilities(texts), dtype=np.float64).reshape(-1, 3)
    thresholds = np.array([model.thresholds[tag] for tag in SCORED_TAGS])
    codes = (probs >= thresholds).astype(np.int8) @ np.array([1, 2, 4], dtype=np.int8)
    return Scores(probs, codes.astype(np.int8))


def rows_of(ids: list[str], scores: Scores, version: str) -> list[tuple[Any, ...]]:
    """Output rows (``COLUMNS``) of one chunk."""
    names = PRESENT_NAMES
    return [
        (i, p[0], p[1], p[2], names[c], int(c == 0), version)
        for i, p, c in zip(ids, scores.probabilities.tolist(), scores.codes.tolist(), strict=True)
    ]


_worker_model: Any = None


def _init_worker(model: Any, model_path: str, jargon_file: str | None) -> None:
    """Pool initializer: the parent's model when forked, else loaded once in this process."""
    global _worker_model
    if model is None:
        from service.classifier import load_model

        model = load_model(model_path, jargon_file=jargon_file)
    _worker_model = model


def _score_in_worker(texts: list[str]) -> Scores:
    return score_texts(_worker_model, texts)


class ChunkScorer:
    """Scores chunks of notes in order, in this process (workers=1) or a pool of processes.

    With ``fork`` (Linux) the workers share the model loaded here; elsewhere each worker loads
    ``model_path`` once. At most ``2 * workers`` chunks are in flight (bounded memory).
    """

    def __init__(self, model: Any, model_path: Path, workers: int, jargon_file: Path | None):
        self.model = model
        self.workers = max(1, workers)
        self._pool: Any = None
        if self.workers > 1:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            shared = model if context.get_start_method() == "fork" else None
            args = (shared, str(model_path), str(jargon_file) if jargon_file else None)
            # Forked workers inherit this process's objects: frozen, the cyclic collector in a
            # worker never walks them (no time spent, and no copy-on-write of their pages).
            gc.freeze()
            try:
                self._pool = context.Pool(self.workers, initializer=_init_worker, initargs=args)
            finally:
                gc.unfreeze()

    def __enter__(self) -> ChunkScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (pending work is dropped)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def map(self, chunks: Iterable[list[str]]) -> Iterator[Scores]:
        """The scores of each chunk, in the order of ``chunks``."""
        if self._pool is None:
            for texts in chunks:
                yield score_texts(self.model, texts)
            return
        pending: deque[Any] = deque()
        for texts in chunks:
            pending.append(self._pool.apply_async(_score_in_worker, (texts,)))
            if len(pending) >= 2 * self.workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


@dataclass
class ScoreSummary:
    """What ``score_file`` did."""

    notes: int
    out: Path
    model_version: str


def score_file(
    data: Path,
    out: Path,
    model: Any,
    model_path: Path,
    *,
    workers: int | None = None,
    text_column: str = "narrative",
    id_column: str = "id",
    chunk_size: int = DEFAULT_CHUNK,
    jargon_file: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScoreSummary:
    """Score every note of ``data`` into ``out`` (format from each file's name), in order."""
    file_format(out)  # an unknown output type fails before any work
    version = str(model.version)
    chunks = iter_narratives(data, text_column, id_column, chunk_size)
    id_chunks: deque[list[str]] = deque()

    def texts_only() -> Iterator[list[str]]:
        for ids, texts in chunks:
            id_chunks.append(ids)
            yield texts

    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    try:
        with (
            _writer(partial, file_format(out)) as write,
            ChunkScorer(model, model_path, workers or os.cpu_count() or 1, jargon_file) as scorer,
        ):
            for scores in scorer.map(texts_only()):
                ids = id_chunks.popleft()
                write(ids, scores, version)
                count += len(ids)
                if progress is not None:
                    progress(len(ids))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return ScoreSummary(count, out, version)


Write = Callable[[list[str], Scores, str], None]


class _writer:
    """A context manager giving ``write(ids, scores, version)`` for CSV, JSONL or Parquet."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self._handle: Any = None
        self._parquet: Any = None

    def __enter__(self) -> Write:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            fields = [pa.field("id", pa.string())]
            fields += [pa.field(c, pa.float64()) for c in COLUMNS[1:4]]
            fields += [pa.field("present", pa.string()), pa.field("routine", pa.int8())]
            fields += [pa.field("model_version", pa.string())]
            self._schema = pa.schema(fields)
            self._parquet = pq.ParquetWriter(self.path, self._schema)
            return self._write_parquet
        newline = "" if self.fmt == "csv" else None
        self._handle = open(self.path, "w", encoding="utf-8", newline=newline)
        if self.fmt == "csv":
            self._csv = csv.writer(self._handle)
            self._csv.writerow(COLUMNS)
            return self._write_csv
        return self._write_jsonl

    def _write_csv(self, ids: list[str], scores: Scores, version: str) -> None:
        self._csv.writerows(rows_of(ids, scores, version))

    def _write_jsonl(self, ids: list[str], scores: Scores, version: str) -> None:
        dumps = json.dumps
        self._handle.write(
            "".join(
                dumps(dict(zip(COLUMNS, row, strict=True))) + "\n"
                for row in rows_of(ids, scores, version)
            )
        )

    def _write_parquet(self, ids: list[str], scores: Scores, version: str) -> None:
        import pyarrow as pa

        codes = scores.codes
        arrays = [
            pa.array(ids, type=pa.string()),
            *(pa.array(scores.probabilities[:, k]) for k in range(3)),
            pa.array([PRESENT_NAMES[c] for c in codes.tolist()], type=pa.string()),
            pa.array((codes == 0).astype(np.int8)),
            pa.array([version] * len(ids), type=pa.string()),
        ]
        self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def __exit__(self, *exc: object) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._handle is not None:
            self._handle.close()


def stderr_progress(total: int | None) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A tqdm progress bar on stderr: (advance by n, close)."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: the scoring pool may fork after this
    bar = tqdm(total=total, unit="note", desc="scoring", file=sys.stderr, smoothing=0.1)
    return bar.update, bar.close


def count_rows(path: Path) -> int | None:
    """Row count for the progress bar when cheap (Parquet metadata); None otherwise."""
    if file_format(path) != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # noqa: BLE001 - the reader reports the real problem with its row
        return None
