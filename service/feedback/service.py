"""Store and list corrections; the latest correction of a recommendation is its label."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.feedback.schemas import CorrectionIn, CorrectionOut
from service.models import Correction, Recommendation
from service.recommendations.service import as_utc, get_recommendation

CORRECTED_TAGS = ("mental_health", "drugs", "weapon")


def record_correction(
    session: Session, recommendation_id: str, body: CorrectionIn, *, corrected_by: str | None
) -> CorrectionOut:
    """Store a correction (404 for an unknown recommendation); earlier ones are kept."""
    recommendation = get_recommendation(session, recommendation_id)
    row = Correction(
        recommendation_id=recommendation.id,
        mental_health=body.mental_health,
        drugs=body.drugs,
        weapon=body.weapon,
        note=body.note or None,
        corrected_by=corrected_by,
    )
    session.add(row)
    session.flush()
    return correction_out(row, recommendation)


def list_corrections(session: Session, recommendation_id: str) -> list[CorrectionOut]:
    """Every correction of a recommendation, oldest first (404 for an unknown one)."""
    recommendation = get_recommendation(session, recommendation_id)
    rows = session.scalars(
        select(Correction)
        .where(Correction.recommendation_id == recommendation.id)
        .order_by(Correction.id)
    )
    return [correction_out(row, recommendation) for row in rows]


def latest_corrections(session: Session, recommendation_ids: list[str]) -> dict[str, Correction]:
    """The effective (latest) correction of each recommendation that has one."""
    latest: dict[str, Correction] = {}
    if not recommendation_ids:
        return latest
    rows = session.scalars(
        select(Correction)
        .where(Correction.recommendation_id.in_(recommendation_ids))
        .order_by(Correction.id)
    )
    for row in rows:
        latest[row.recommendation_id] = row
    return latest


def correction_out(row: Correction, recommendation: Recommendation) -> CorrectionOut:
    """The API view of a correction."""
    changed = [t for t in CORRECTED_TAGS if getattr(row, t) != getattr(recommendation, t)]
    return CorrectionOut(
        id=row.id,
        recommendation_id=row.recommendation_id,
        call_id=recommendation.call_id,
        mental_health=row.mental_health,
        drugs=row.drugs,
        weapon=row.weapon,
        routine=not (row.mental_health or row.drugs or row.weapon),
        note=row.note,
        corrected_by=row.corrected_by,
        created_at=as_utc(row.created_at),
        changed_tags=changed,
    )
