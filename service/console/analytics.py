"""Aggregations for the analytics page: pure query functions over recommendations.

Each function takes a session and a ``Window`` and returns plain data, so other domains (the
retraining loop's drift series) can reuse them and add their own beside them in
``service.console.sections``. Time buckets are computed in SQL, in UTC, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service.console.service import TAG_NAMES, as_utc
from service.models import Recommendation, utcnow

RANGES: dict[str, tuple[timedelta, str]] = {
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "day"),
    "30d": (timedelta(days=30), "day"),
    "90d": (timedelta(days=90), "day"),
}
DEFAULT_RANGE = "7d"
_FORMATS = {"day": ("%Y-%m-%d", "YYYY-MM-DD"), "hour": ("%Y-%m-%d %H:00", "YYYY-MM-DD HH24:00")}


@dataclass(frozen=True)
class Window:
    """A time range [start, end) cut into day or hour buckets (UTC)."""

    name: str
    start: datetime
    end: datetime
    bucket: str

    def labels(self) -> list[str]:
        """Every bucket label in the window, oldest first, including empty buckets."""
        step = timedelta(days=1) if self.bucket == "day" else timedelta(hours=1)
        fmt = _FORMATS[self.bucket][0]
        if self.bucket == "day":
            current = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            current = self.start.replace(minute=0, second=0, microsecond=0)
        labels = []
        while current < self.end:
            labels.append(current.strftime(fmt))
            current += step
        return labels


def window_for(name: str | None, *, now: datetime | None = None) -> Window:
    """The window for a range name (``24h``, ``7d``, ``30d``, ``90d``), ending now."""
    name = name if name in RANGES else DEFAULT_RANGE
    span, bucket = RANGES[name]
    end = as_utc(now or utcnow())
    return Window(name=name, start=end - span, end=end, bucket=bucket)


def bucket_of(session: Session, column: Any, bucket: str) -> ColumnElement[str]:
    """A SQL expression giving the UTC day or hour label of a timestamp column."""
    sqlite_fmt, pg_fmt = _FORMATS[bucket]
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime(sqlite_fmt, column)
    return func.to_char(func.timezone("UTC", column), pg_fmt)


def _in_window(window: Window) -> list[ColumnElement[bool]]:
    return [Recommendation.created_at >= window.start, Recommendation.created_at < window.end]


def _count_true(column: Any) -> ColumnElement[int]:
    return func.sum(case((column, 1), else_=0)).cast(Integer)


@dataclass(frozen=True)
class BucketCounts:
    """Per bucket: calls, calls per tag and calls needing review."""

    calls: dict[str, int]
    by_tag: dict[str, dict[str, int]]
    needs_review: dict[str, int]


def counts_by_bucket(session: Session, window: Window) -> BucketCounts:
    """Calls, calls with each tag, and calls needing review, per time bucket."""
    label = bucket_of(session, Recommendation.created_at, window.bucket).label("bucket")
    tag_columns = [_count_true(getattr(Recommendation, t)).label(t) for t in TAG_NAMES]
    query = (
        select(
            label,
            func.count().label("calls"),
            _count_true(Recommendation.needs_review).label("review"),
            *tag_columns,
        )
        .where(*_in_window(window))
        .group_by(label)
    )
    calls: dict[str, int] = {}
    review: dict[str, int] = {}
    by_tag: dict[str, dict[str, int]] = {t: {} for t in TAG_NAMES}
    for row in session.execute(query).mappings():
        calls[row["bucket"]] = int(row["calls"])
        review[row["bucket"]] = int(row["review"] or 0)
        for tag in TAG_NAMES:
            by_tag[tag][row["bucket"]] = int(row[tag] or 0)
    return BucketCounts(calls=calls, by_tag=by_tag, needs_review=review)


def calls_by_mode(session: Session, window: Window) -> dict[str, dict[str, int]]:
    """``{response_mode: {bucket: calls}}`` for the recommended mode."""
    label = bucket_of(session, Recommendation.created_at, window.bucket).label("bucket")
    query = (
        select(label, Recommendation.response_mode, func.count())
        .where(*_in_window(window))
        .group_by(label, Recommendation.response_mode)
    )
    result: dict[str, dict[str, int]] = {}
    for bucket, mode, count in session.execute(query):
        result.setdefault(mode, {})[bucket] = int(count)
    return dict(sorted(result.items()))


@dataclass(frozen=True)
class Rate:
    """How many of ``total`` were ``hits``, under a name (a mode, a tag, a version)."""

    name: str
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        """hits / total, or None when nothing was counted."""
        return self.hits / self.total if self.total else None


def _decided() -> ColumnElement[bool]:
    return Recommendation.decision_state.in_(("accepted", "overridden"))


def _overridden() -> ColumnElement[int]:
    return _count_true(Recommendation.decision_state == "overridden")


def override_rate_by_mode(session: Session, window: Window) -> list[Rate]:
    """Per recommended mode: decided calls and how many the dispatcher overrode."""
    query = (
        select(Recommendation.response_mode, _overridden(), func.count())
        .where(*_in_window(window), _decided())
        .group_by(Recommendation.response_mode)
        .order_by(Recommendation.response_mode)
    )
    return [Rate(mode, int(hits or 0), int(total)) for mode, hits, total in session.execute(query)]


def override_rate_by_tag(session: Session, window: Window) -> list[Rate]:
    """Per tag present: decided calls and how many the dispatcher overrode."""
    rates = []
    for tag in TAG_NAMES:
        query = select(_overridden(), func.count()).where(
            *_in_window(window), _decided(), getattr(Recommendation, tag).is_(True)
        )
        hits, total = session.execute(query).one()
        rates.append(Rate(tag, int(hits or 0), int(total or 0)))
    return rates


@dataclass(frozen=True)
class VersionUse:
    """A model and policy pair that produced recommendations in the window."""

    model_version: str
    policy_version: str
    calls: int
    first_seen: datetime
    last_seen: datetime


def versions_in_use(session: Session, window: Window) -> list[VersionUse]:
    """Model and policy versions behind the window's recommendations, most recent first."""
    last = func.max(Recommendation.created_at)
    query = (
        select(
            Recommendation.model_version,
            Recommendation.policy_version,
            func.count(),
            func.min(Recommendation.created_at),
            last,
        )
        .where(*_in_window(window))
        .group_by(Recommendation.model_version, Recommendation.policy_version)
        .order_by(last.desc())
    )
    return [
        VersionUse(model, policy, int(calls), as_utc(first), as_utc(latest))
        for model, policy, calls, first, latest in session.execute(query)
    ]


@dataclass(frozen=True)
class Summary:
    """Headline figures of the window."""

    calls: int
    needs_review: int
    decided: int
    overridden: int
    pending: int


def summary(session: Session, window: Window) -> Summary:
    """Calls, needing review, decided, overridden and pending in the window."""
    query = select(
        func.count(),
        _count_true(Recommendation.needs_review),
        _count_true(_decided()),
        _overridden(),
    ).where(*_in_window(window))
    calls, review, decided, overridden = session.execute(query).one()
    calls, decided = int(calls or 0), int(decided or 0)
    return Summary(calls, int(review or 0), decided, int(overridden or 0), calls - decided)
