"""Tag corrections in the console: a panel in a call's detail pane for analysts and admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from service.console.auth import ConsoleUser
from service.console.dependencies import ApiUser, require_csrf
from service.console.service import DETAIL_PANELS, DetailPanel
from service.db import session_scope
from service.errors import ServiceError
from service.feedback.schemas import CorrectionIn
from service.feedback.service import CORRECTED_TAGS, list_corrections, record_correction
from service.models import Recommendation

router = APIRouter(prefix="/console", include_in_schema=False)
RecId = Annotated[str, Path(min_length=1, max_length=40)]
TEMPLATE = "_corrections.html"


def corrections_panel(
    session: Session, row: Recommendation, user: ConsoleUser
) -> dict[str, Any] | None:
    """The panel's context: the call's current labels and its correction history."""
    if not user.can_view_analytics:
        return None
    history = list_corrections(session, row.id)
    source = history[-1] if history else row
    return {
        "recommendation_id": row.id,
        "current": {tag: bool(getattr(source, tag)) for tag in CORRECTED_TAGS},
        "corrected": bool(history),
        "history": list(reversed(history)),
        "csrf_token": user.csrf_token,
    }


DETAIL_PANELS.append(DetailPanel(TEMPLATE, corrections_panel))


@router.post("/calls/{recommendation_id}/corrections")
def correct_in_console(
    request: Request,
    recommendation_id: RecId,
    user: ApiUser,
    mental_health: Annotated[bool, Form()] = False,
    drugs: Annotated[bool, Form()] = False,
    weapon: Annotated[bool, Form()] = False,
    note: Annotated[str | None, Form(max_length=2000)] = None,
    csrf_token: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Store a correction from the panel's form, then show the call again."""
    require_csrf(request, user, csrf_token)
    if not user.can_view_analytics:
        raise ServiceError(403, "forbidden", f"role {user.principal.role!r} may not correct tags")
    body = CorrectionIn(mental_health=mental_health, drugs=drugs, weapon=weapon, note=note or None)
    with session_scope(write=True) as session:
        record_correction(session, recommendation_id, body, corrected_by=user.principal.key_id)
    return RedirectResponse(f"/console?call={recommendation_id}", status_code=303)
