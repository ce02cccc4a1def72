"""Turn corrected and decided calls into a labeled dataset the trainer reads.

Label of a call (one row per call: its latest note version that has a label):
1. its latest correction, if an analyst corrected it (``label_source=correction``);
2. else the stored tags, if a dispatcher accepted the recommendation (``accepted``);
3. else, only with ``include_overridden``, the stored tags of an overridden recommendation
   flagged ``overridden_uncorrected``: the dispatcher disagreed with the response, so the
   tags are suspect until an analyst corrects them. Excluded by default.
Undecided, uncorrected calls and purged narratives are never exported.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.feedback.service import latest_corrections
from service.models import Correction, Recommendation
from service.recommendations.service import as_utc

LABEL_TAGS = ("mental_health", "drugs", "weapon")
_BATCH = 1000


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how."""

    since: datetime | None = None
    include_overridden: bool = False
    redact: bool = True


def _candidates(session: Session, options: ExportOptions) -> Iterator[Recommendation]:
    """Recommendations with a label source, latest note version of each call first."""
    states = ["accepted", "overridden"] if options.include_overridden else ["accepted"]
    corrected = select(Correction.recommendation_id)
    query = (
        select(Recommendation)
        .where(
            Recommendation.narrative.is_not(None),
            Recommendation.narrative_purged_at.is_(None),
            or_(Recommendation.decision_state.in_(states), Recommendation.id.in_(corrected)),
        )
        .order_by(Recommendation.call_id, Recommendation.call_version.desc())
        .execution_options(yield_per=_BATCH)
    )
    if options.since is not None:
        query = query.where(Recommendation.created_at >= options.since)
    yield from session.scalars(query)


def _label(row: Recommendation, correction: Correction | None) -> tuple[dict[str, int], str]:
    if correction is not None:
        return {t: int(getattr(correction, t)) for t in LABEL_TAGS}, "correction"
    source = "accepted" if row.decision_state == "accepted" else "overridden_uncorrected"
    return {t: int(getattr(row, t)) for t in LABEL_TAGS}, source


def _to_row(
    row: Recommendation, correction: Correction | None, options: ExportOptions
) -> dict[str, Any]:
    from service.privacy import redact

    labels, source = _label(row, correction)
    narrative = row.narrative or ""
    return {
        "id": row.id,
        "call_id": row.call_id,
        "narrative": redact(narrative) if options.redact else narrative,
        **labels,
        "routine": int(not any(labels.values())),
        "label_source": source,
        "model_version": row.model_version,
        "created_at": as_utc(row.created_at).isoformat(),
    }


def labeled_rows(session: Session, options: ExportOptions) -> Iterator[dict[str, Any]]:
    """The labeled dataset, one row per call, streamed in batches."""
    last_call: str | None = None
    batch: list[Recommendation] = []
    for row in _candidates(session, options):
        if row.call_id == last_call:
            continue  # an older version of a call already exported
        last_call = row.call_id
        batch.append(row)
        if len(batch) >= _BATCH:
            yield from _finish(session, batch, options)
            batch = []
    yield from _finish(session, batch, options)


def _finish(
    session: Session, batch: list[Recommendation], options: ExportOptions
) -> Iterator[dict[str, Any]]:
    corrections = latest_corrections(session, [r.id for r in batch])
    for row in batch:
        yield _to_row(row, corrections.get(row.id), options)


COLUMNS = (
    "id",
    "call_id",
    "narrative",
    *LABEL_TAGS,
    "routine",
    "label_source",
    "model_version",
    "created_at",
)
FORMATS = ("jsonl", "csv", "parquet")


def write_export(rows: Iterator[dict[str, Any]], path: Path, fmt: str) -> int:
    """Stream rows to ``path`` as JSONL, CSV or Parquet (training/dataio.py reads all three).

    Written to a temporary name and renamed, so a failed export leaves no half file.
    """
    tmp = path.with_name(f".{path.name}.partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[fmt]
        count = writer(rows, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def _write_jsonl(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _write_csv(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa  # training extra; imported only when exporting Parquet
    import pyarrow.parquet as pq

    schema = pa.schema(
        [(c, pa.int8() if c in (*LABEL_TAGS, "routine") else pa.string()) for c in COLUMNS]
    )
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        while batch := list(itertools.islice(rows, _BATCH)):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
