"""Recommendations (read, list), dispatcher decisions and call outcomes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import AwareDatetime

from service.db import session_scope
from service.keys.dependencies import CadKey, DispatcherKey, ReaderKey
from service.recommendations import service
from service.recommendations.schemas import (
    DecisionIn,
    DecisionOut,
    OutcomeIn,
    OutcomeOut,
    RecommendationDetail,
    RecommendationPage,
)
from service.triage.router import ERROR_RESPONSES, snapshot_or_503
from service.triage.schemas import CallId

router = APIRouter(prefix="/v1", tags=["recommendations"])
RecId = Annotated[str, Path(min_length=1, max_length=40)]


@router.get(
    "/recommendations/{recommendation_id}",
    response_model=RecommendationDetail,
    responses=ERROR_RESPONSES,
)
def get_recommendation(recommendation_id: RecId, principal: ReaderKey) -> RecommendationDetail:
    """One recommendation with its note (unless purged) and every decision on it."""
    with session_scope() as session:
        row = service.get_recommendation(session, recommendation_id)
        decisions = service.decision_history(session, row.id)
    return RecommendationDetail(
        **service.to_response(row).model_dump(),
        narrative=row.narrative,
        call_type=row.call_type,
        decisions=decisions,
    )


@router.get("/recommendations", response_model=RecommendationPage, responses=ERROR_RESPONSES)
def list_recommendations(
    principal: ReaderKey,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    tag: Literal["mental_health", "drugs", "weapon", "routine"] | None = None,
    response_mode: Annotated[str | None, Query(max_length=64)] = None,
    decision_state: Literal["pending", "accepted", "overridden"] | None = None,
    needs_review: bool | None = None,
    call_id: CallId | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> RecommendationPage:
    """Recommendations newest first, filtered by time range, tag, mode and decision state."""
    filters = {
        "since": since,
        "until": until,
        "tag": tag,
        "response_mode": response_mode,
        "decision_state": decision_state,
        "needs_review": needs_review,
        "call_id": call_id,
    }
    with session_scope() as session:
        rows, next_cursor = service.list_recommendations(
            session, filters, limit=limit, cursor=cursor
        )
    return RecommendationPage(items=[service.to_response(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/recommendations/{recommendation_id}/decision",
    response_model=DecisionOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
)
def decide_recommendation(
    recommendation_id: RecId, body: DecisionIn, request: Request, principal: DispatcherKey
) -> DecisionOut:
    """Accept or override a recommendation; a later decision amends it and keeps the history."""
    modes = snapshot_or_503(request).policy.modes
    with session_scope(write=True) as session:
        decision = service.record_decision(
            session, recommendation_id, body, decided_by=principal.key_id, known_modes=modes
        )
    return service.decision_out(decision)


@router.post(
    "/calls/{call_id}/outcome",
    response_model=OutcomeOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
)
def report_outcome(
    call_id: Annotated[str, Path(min_length=1, max_length=64)], body: OutcomeIn, principal: CadKey
) -> OutcomeOut:
    """Record how a call ended; 404 for a call never triaged."""
    with session_scope(write=True) as session:
        outcome = service.record_outcome(session, call_id, body, reported_by=principal.key_id)
        out = OutcomeOut(
            id=outcome.id,
            call_id=outcome.call_id,
            recommendation_id=outcome.recommendation_id,
            created_at=service.as_utc(outcome.created_at),
            **body.model_dump(),
        )
    return out
