"""Read recommendations, record dispatcher decisions and call outcomes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from service.errors import ServiceError
from service.models import Decision, Outcome, Recommendation
from service.recommendations.schemas import DecisionIn, DecisionOut, OutcomeIn
from service.triage.schemas import TriageResponse

DECISION_STATES = ("pending", "accepted", "overridden")


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_response(row: Recommendation) -> TriageResponse:
    """The API view of a stored recommendation (the same for the first answer and a retry)."""
    return TriageResponse(
        recommendation_id=row.id,
        call_id=row.call_id,
        call_version=row.call_version,
        tags=row.tags,  # type: ignore[arg-type]
        response_mode=row.response_mode,
        backup_level=row.backup_level,
        needs_review=row.needs_review,
        review_reasons=row.review_reasons,
        guidance=row.guidance,
        explanation=row.explanation,
        model_version=row.model_version,
        policy_version=row.policy_version,
        changes=row.changes,  # type: ignore[arg-type]
        decision_state=row.decision_state,
        created_at=as_utc(row.created_at),
    )


def get_recommendation(session: Session, recommendation_id: str) -> Recommendation:
    """The stored recommendation, or 404."""
    row = session.get(Recommendation, recommendation_id)
    if row is None:
        raise ServiceError(404, "not_found", f"no recommendation {recommendation_id!r}")
    return row


def decision_history(session: Session, recommendation_id: str) -> list[DecisionOut]:
    """Every decision on a recommendation, oldest first."""
    rows = session.scalars(
        select(Decision)
        .where(Decision.recommendation_id == recommendation_id)
        .order_by(Decision.id)
    )
    return [decision_out(d) for d in rows]


def decision_out(row: Decision) -> DecisionOut:
    """The API view of a decision."""
    return DecisionOut(
        id=row.id,
        recommendation_id=row.recommendation_id,
        action=row.action,
        response_mode=row.response_mode,
        backup_level=row.backup_level,
        reason=row.reason,
        decided_by=row.decided_by,
        created_at=as_utc(row.created_at),
    )


def record_decision(
    session: Session,
    recommendation_id: str,
    body: DecisionIn,
    *,
    decided_by: str | None,
    known_modes: dict[str, str],
) -> Decision:
    """Store a decision; a later decision amends the state and keeps the history."""
    row = get_recommendation(session, recommendation_id)
    if body.action == "overridden" and not body.reason:
        raise ServiceError(
            422,
            "validation_error",
            "reason is required when overriding",
            fields=[{"field": "reason", "message": "required when action is 'overridden'"}],
        )
    if body.response_mode not in known_modes:
        raise ServiceError(
            422,
            "validation_error",
            f"unknown response_mode {body.response_mode!r}",
            fields=[
                {
                    "field": "response_mode",
                    "message": "not a mode of the active policy: " + ", ".join(sorted(known_modes)),
                }
            ],
        )
    if body.action == "accepted" and (
        body.response_mode != row.response_mode or body.backup_level != row.backup_level
    ):
        raise ServiceError(
            422,
            "validation_error",
            "an accepted decision must keep the recommended mode and backup",
            fields=[
                {"field": "action", "message": "use 'overridden' with a reason to change them"}
            ],
        )
    decision = Decision(
        recommendation_id=row.id,
        action=body.action,
        response_mode=body.response_mode,
        backup_level=body.backup_level,
        reason=body.reason,
        decided_by=decided_by,
    )
    session.add(decision)
    row.decision_state = body.action
    session.flush()
    return decision


def record_outcome(
    session: Session, call_id: str, body: OutcomeIn, *, reported_by: str | None
) -> Outcome:
    """Store how a call ended, linked to its latest recommendation; 404 for an unknown call."""
    latest = session.scalar(
        select(Recommendation)
        .where(Recommendation.call_id == call_id)
        .order_by(Recommendation.call_version.desc())
        .limit(1)
    )
    if latest is None:
        raise ServiceError(404, "not_found", f"call {call_id!r} was never triaged")
    outcome = Outcome(
        call_id=call_id, recommendation_id=latest.id, reported_by=reported_by, **body.model_dump()
    )
    session.add(outcome)
    session.flush()
    return outcome


def _encode_cursor(row: Recommendation) -> str:
    raw = f"{as_utc(row.created_at).isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, rec_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), rec_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError(
            422,
            "validation_error",
            "invalid cursor",
            fields=[{"field": "cursor", "message": "not a cursor from this API"}],
        ) from exc


def list_query(filters: dict[str, Any]) -> Select[Any]:
    """A query for recommendations matching the given filters, newest first."""
    query = select(Recommendation).order_by(
        Recommendation.created_at.desc(), Recommendation.id.desc()
    )
    if filters.get("since"):
        query = query.where(Recommendation.created_at >= filters["since"])
    if filters.get("until"):
        query = query.where(Recommendation.created_at < filters["until"])
    if filters.get("tag"):
        query = query.where(getattr(Recommendation, filters["tag"]).is_(True))
    if filters.get("response_mode"):
        query = query.where(Recommendation.response_mode == filters["response_mode"])
    if filters.get("decision_state"):
        query = query.where(Recommendation.decision_state == filters["decision_state"])
    if filters.get("needs_review") is not None:
        query = query.where(Recommendation.needs_review.is_(filters["needs_review"]))
    if filters.get("call_id"):
        query = query.where(Recommendation.call_id == filters["call_id"])
    return query


def list_recommendations(
    session: Session, filters: dict[str, Any], *, limit: int, cursor: str | None
) -> tuple[list[Recommendation], str | None]:
    """One page of recommendations and the cursor of the next page (None at the end)."""
    query = list_query(filters)
    if cursor:
        created, rec_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                Recommendation.created_at < created,
                and_(Recommendation.created_at == created, Recommendation.id < rec_id),
            )
        )
    rows = list(session.scalars(query.limit(limit + 1)))
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
