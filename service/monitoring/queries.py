"""SQL aggregates over recommendations, decisions and outcomes, grouped by UTC day.

Everything is counted in the database (GROUP BY), so a year of calls costs a few queries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, select
from sqlalchemy.orm import Session

from service.models import Decision, Outcome, Recommendation

TAGS = ("mental_health", "drugs", "weapon", "routine")
OUTCOME_FLAGS = ("force_used", "injuries", "arrest", "resolved_without_police")
TRANSPORTS = ("hospital", "crisis_center", "jail")


def _utc_day(session: Session) -> ColumnElement[Any]:
    """The UTC calendar day of a recommendation, on SQLite (stored as UTC text) or PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", Recommendation.created_at), Date)
    return func.date(Recommendation.created_at)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _window(since: date, until: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    start = datetime.combine(since, time.min).replace(tzinfo=UTC)
    end = datetime.combine(until, time.min).replace(tzinfo=UTC)
    return Recommendation.created_at >= start, Recommendation.created_at < end


def _flag(column: Any) -> Any:
    return func.sum(case((column.is_(True), 1), else_=0))


def daily_counts(session: Session, since: date, until: date) -> dict[date, dict[str, Any]]:
    """Per day in [since, until): calls, present tags, needs-review and decision counts."""
    day = _utc_day(session).label("day")
    rows = session.execute(
        select(
            day,
            func.count().label("calls"),
            *[_flag(getattr(Recommendation, t)).label(t) for t in TAGS],
            _flag(Recommendation.needs_review).label("needs_review"),
            func.sum(case((Recommendation.decision_state == "accepted", 1), else_=0)).label(
                "accepted"
            ),
            func.sum(case((Recommendation.decision_state == "overridden", 1), else_=0)).label(
                "overridden"
            ),
        )
        .where(*_window(since, until))
        .group_by(day)
    )
    days: dict[date, dict[str, Any]] = {}
    for row in rows:
        counts = {k: int(v or 0) for k, v in row._mapping.items() if k != "day"}
        days[_as_date(row.day)] = {**counts, "modes": {}}
    return days


def daily_modes(session: Session, since: date, until: date) -> dict[date, dict[str, int]]:
    """Per day: how many recommendations chose each response mode."""
    day = _utc_day(session).label("day")
    rows = session.execute(
        select(day, Recommendation.response_mode, func.count())
        .where(*_window(since, until))
        .group_by(day, Recommendation.response_mode)
    )
    modes: dict[date, dict[str, int]] = defaultdict(dict)
    for row_day, mode, count in rows:
        modes[_as_date(row_day)][mode] = int(count)
    return modes


def overrides_by_model(session: Session, since: date, until: date) -> list[dict[str, Any]]:
    """Per model version: calls, decided, accepted, overridden (latest decision per call)."""
    state = Recommendation.decision_state
    rows = session.execute(
        select(
            Recommendation.model_version,
            func.count(),
            func.sum(case((state == "accepted", 1), else_=0)),
            func.sum(case((state == "overridden", 1), else_=0)),
        )
        .where(*_window(since, until))
        .group_by(Recommendation.model_version)
        .order_by(Recommendation.model_version)
    )
    return [
        {"model_version": v, "calls": int(n), "accepted": int(a or 0), "overridden": int(o or 0)}
        for v, n, a, o in rows
    ]


def outcomes_by_mode(session: Session, since: date, until: date) -> list[dict[str, Any]]:
    """Outcome counts by the mode actually dispatched and whether the dispatcher followed us.

    The dispatched mode is the latest decision's mode, or the recommended one while undecided;
    only the latest outcome report of a call counts.
    """
    latest_decision = (
        select(Decision.recommendation_id.label("rec_id"), func.max(Decision.id).label("id"))
        .group_by(Decision.recommendation_id)
        .subquery()
    )
    latest_outcome = select(func.max(Outcome.id).label("id")).group_by(Outcome.call_id).subquery()
    mode = func.coalesce(Decision.response_mode, Recommendation.response_mode).label("mode")
    query = (
        select(
            mode,
            Recommendation.decision_state,
            func.count(),
            *[_flag(getattr(Outcome, f)) for f in OUTCOME_FLAGS],
            *[func.sum(case((Outcome.transported_to == t, 1), else_=0)) for t in TRANSPORTS],
        )
        .select_from(Outcome)
        .join(latest_outcome, latest_outcome.c.id == Outcome.id)
        .join(Recommendation, Recommendation.id == Outcome.recommendation_id)
        .outerjoin(latest_decision, latest_decision.c.rec_id == Recommendation.id)
        .outerjoin(Decision, Decision.id == latest_decision.c.id)
        .where(*_window(since, until))
        .group_by(mode, Recommendation.decision_state)
        .order_by(mode, Recommendation.decision_state)
    )
    counts = ("outcomes", *OUTCOME_FLAGS, *TRANSPORTS)
    return [
        {"response_mode": row[0], "decision": row[1]}
        | {name: int(value or 0) for name, value in zip(counts, row[2:], strict=True)}
        for row in session.execute(query)
    ]


def days_between(since: date, until: date) -> list[date]:
    """Every day in [since, until)."""
    return [since + timedelta(days=i) for i in range((until - since).days)]
