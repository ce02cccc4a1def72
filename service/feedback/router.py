"""Corrections of a recommendation's tags: analysts write them, staff read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from service.db import session_scope
from service.feedback import service
from service.feedback.schemas import CorrectionIn, CorrectionOut
from service.keys.dependencies import AnalystKey, StaffKey
from service.triage.router import ERROR_RESPONSES

router = APIRouter(prefix="/v1", tags=["feedback"])
RecId = Annotated[str, Path(min_length=1, max_length=40)]


@router.post(
    "/recommendations/{recommendation_id}/corrections",
    response_model=CorrectionOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
)
def correct_tags(
    recommendation_id: RecId, body: CorrectionIn, principal: AnalystKey
) -> CorrectionOut:
    """Record the tags the call should have had; the latest correction is its training label."""
    with session_scope(write=True) as session:
        return service.record_correction(
            session, recommendation_id, body, corrected_by=principal.key_id
        )


@router.get(
    "/recommendations/{recommendation_id}/corrections",
    response_model=list[CorrectionOut],
    responses=ERROR_RESPONSES,
)
def list_corrections(recommendation_id: RecId, principal: StaffKey) -> list[CorrectionOut]:
    """Every correction of a recommendation, oldest first, with who made it and when."""
    with session_scope() as session:
        return service.list_corrections(session, recommendation_id)
