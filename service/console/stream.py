"""The live stream's reads: new calls and decisions since a cursor, from the database.

Each poll uses its own short session, so a stream never holds a connection, and every worker
and replica sees every change because the database is the only source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.console.service import RowView, as_utc, row_views
from service.models import Decision, Recommendation, utcnow

STREAM_LOOKBACK = timedelta(seconds=10)  # late commits from other workers are still caught
STREAM_MAX_AGE = timedelta(hours=24)
STREAM_BATCH = 200


@dataclass
class StreamCursor:
    """Where a live stream is: the newest time seen and the rows already sent near it."""

    since: datetime
    seen: set[str] = field(default_factory=set)
    seen_at: dict[str, datetime] = field(default_factory=dict)

    def mark(self, key: str, at: datetime) -> None:
        """Remember a row as sent and move the cursor forward."""
        self.seen.add(key)
        self.seen_at[key] = at
        self.since = max(self.since, at)

    def prune(self) -> None:
        """Forget rows older than the look-back window."""
        floor = self.since - STREAM_LOOKBACK
        for key in [k for k, at in self.seen_at.items() if at < floor]:
            self.seen.discard(key)
            del self.seen_at[key]


def parse_cursor(value: str | None, *, now: datetime | None = None) -> datetime:
    """A stream cursor from the page or ``Last-Event-ID``; now when absent or unusable."""
    now = now or utcnow()
    try:
        since = as_utc(datetime.fromisoformat(value)) if value else now
    except ValueError:
        since = now
    return min(max(since, now - STREAM_MAX_AGE), now)


@dataclass(frozen=True)
class StreamEvent:
    """A change to push: a new call, or a decision on a call."""

    kind: str  # "call" or "decision"
    row: RowView
    decision_id: int | None = None


def poll_changes(session: Session, cursor: StreamCursor) -> list[StreamEvent]:
    """New recommendations and decisions since the cursor, oldest first; advances the cursor.

    Rows are read back to ``STREAM_LOOKBACK`` before the cursor, so a row committed late by
    another worker or replica (its time set before a newer row's commit) is still sent once.
    """
    floor = cursor.since - STREAM_LOOKBACK
    recs = list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.created_at > floor)
            .where(Recommendation.id.not_in(_ids(cursor, "r:")))
            .order_by(Recommendation.created_at, Recommendation.id)
            .limit(STREAM_BATCH)
        )
    )
    decisions = list(
        session.scalars(
            select(Decision)
            .where(Decision.created_at > floor)
            .where(Decision.id.not_in([int(i) for i in _ids(cursor, "d:")]))
            .order_by(Decision.created_at, Decision.id)
            .limit(STREAM_BATCH)
        )
    )
    return _events(session, cursor, recs, decisions)


def _ids(cursor: StreamCursor, prefix: str) -> list[str]:
    return [k[len(prefix) :] for k in cursor.seen if k.startswith(prefix)]


def _events(
    session: Session, cursor: StreamCursor, recs: list[Recommendation], decisions: list[Decision]
) -> list[StreamEvent]:
    decided = {d.recommendation_id for d in decisions} - {r.id for r in recs}
    extra = list(session.scalars(select(Recommendation).where(Recommendation.id.in_(decided))))
    views = {v.id: v for v in row_views(session, recs + extra)}
    timed: list[tuple[datetime, StreamEvent]] = []
    for rec in recs:
        cursor.mark("r:" + rec.id, as_utc(rec.created_at))
        timed.append((as_utc(rec.created_at), StreamEvent("call", views[rec.id])))
    for dec in decisions:
        cursor.mark(f"d:{dec.id}", as_utc(dec.created_at))
        event = StreamEvent("decision", views[dec.recommendation_id], decision_id=dec.id)
        timed.append((as_utc(dec.created_at), event))
    cursor.prune()
    timed.sort(key=lambda pair: pair[0])
    return [event for _at, event in timed]
