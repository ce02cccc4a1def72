"""Recommendation rows to and from journal records (plain JSON, every column)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime

from service.models import Recommendation, utcnow

RECORD_VERSION = 1
TABLE = "recommendations"


def row_to_record(row: Recommendation) -> dict[str, Any]:
    """A JSON-ready record holding every column of ``row``."""
    values: dict[str, Any] = {}
    for column in Recommendation.__table__.columns:
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, datetime) else value
    journaled_at = utcnow().isoformat()
    return {"v": RECORD_VERSION, "table": TABLE, "journaled_at": journaled_at, "row": values}


def record_to_row(record: dict[str, Any]) -> Recommendation:
    """A new, unsaved Recommendation from a journal record."""
    values = dict(record["row"])
    for column in Recommendation.__table__.columns:
        if isinstance(column.type, DateTime) and values.get(column.key):
            values[column.key] = datetime.fromisoformat(values[column.key])
    known = {column.key for column in Recommendation.__table__.columns}
    return Recommendation(**{k: v for k, v in values.items() if k in known})
