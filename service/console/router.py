"""Console routes: sign-in and sign-out, the queue, a call's detail, decisions, analytics."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from service.console import analytics
from service.console.auth import (
    COOKIE_NAME,
    LOGIN_COOKIE_NAME,
    ConsoleUser,
    SignInRefused,
    end_session,
    start_session,
    tokens_match,
)
from service.console.dependencies import (
    ApiUser,
    DeciderUser,
    PageUser,
    clear_cookie,
    current_user,
    require_csrf,
    set_cookie,
)
from service.console.events import router as events_router
from service.console.rendering import STATIC_DIR, page, render_row, templates
from service.console.sections import build_sections
from service.console.service import BACKUP_LABELS, detail_view, queue_rows
from service.db import session_scope
from service.errors import ServiceError
from service.models import Recommendation, utcnow
from service.recommendations.schemas import DecisionIn
from service.recommendations.service import get_recommendation, record_decision

router = APIRouter(prefix="/console", include_in_schema=False)
router.include_router(events_router)
RecId = Annotated[str, Path(min_length=1, max_length=40)]
LOGIN_PATH = "/console/login"
STATIC_FILES = {"console.js": "text/javascript", "console.css": "text/css"}


def policy_modes(request: Request) -> dict[str, str]:
    """The active policy's response modes (mode -> who goes)."""
    policy = request.app.state.runtime.snapshot.policy
    return dict(getattr(policy, "modes", None) or {})


def _login_page(
    request: Request, *, error: str | None = None, notice: str | None = None, status: int = 200
) -> Response:
    nonce = secrets.token_urlsafe(24)
    context = {"error": error, "notice": notice, "login_csrf": nonce, "user": None}
    response = page(request, "login.html", context, status)
    set_cookie(request, response, LOGIN_COOKIE_NAME, nonce, path=LOGIN_PATH)
    return response


@router.get("/login")
def login_form(request: Request, signed_out: bool = False) -> Response:
    """The sign-in page (signed-in users go straight to the queue)."""
    if current_user(request) is not None:
        return RedirectResponse("/console", status_code=303)
    notice = "You are signed out." if signed_out else None
    return _login_page(request, notice=notice)


@router.post("/login")
def login(
    request: Request,
    key: Annotated[str, Form(max_length=300)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Open a session for a dispatcher, analyst or admin key."""
    if not tokens_match(request.cookies.get(LOGIN_COOKIE_NAME) or "", login_csrf):
        return _login_page(request, error="The sign-in form expired; try again.", status=403)
    hours = request.app.state.settings.console_session_hours
    try:
        with session_scope(write=True) as session:
            token, _user = start_session(session, key, lifetime=timedelta(hours=hours))
    except SignInRefused as exc:
        return _login_page(request, error=str(exc), status=exc.status)
    response = RedirectResponse("/console", status_code=303)
    set_cookie(request, response, COOKIE_NAME, token)
    clear_cookie(request, response, LOGIN_COOKIE_NAME, path=LOGIN_PATH)
    return response


@router.post("/logout")
def logout(
    request: Request,
    user: PageUser,
    csrf_token: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Delete the session and the cookie."""
    require_csrf(request, user, csrf_token)
    with session_scope(write=True) as session:
        end_session(session, user.token_hash)
    response = RedirectResponse(f"{LOGIN_PATH}?signed_out=true", status_code=303)
    clear_cookie(request, response)
    return response


@router.get("/session")
def session_info(user: ApiUser) -> JSONResponse:
    """Who is signed in and until when; 401 once signed out (the page's script asks)."""
    body = {
        "name": user.principal.name,
        "role": user.principal.role,
        "expires_at": user.expires_at.isoformat(),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("")
def queue_page(
    request: Request, user: PageUser, call: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    """The live queue, newest first, with one call's detail when ``call`` names it."""
    cursor = utcnow()  # taken before the read: nothing committed after it is missed
    modes = policy_modes(request)
    with session_scope() as session:
        rows = queue_rows(session)
        selected = session.get(Recommendation, call) if call else None
        detail = detail_view(session, selected, user, modes) if selected else None
    context = {
        "user": user,
        "active": "queue",
        "rows": rows,
        "detail": detail,
        "modes": modes,
        "backup_labels": BACKUP_LABELS,
        "cursor": cursor.isoformat(),
    }
    return page(request, "queue.html", context)


@router.get("/calls/{recommendation_id}")
def call_detail(request: Request, recommendation_id: RecId, user: ApiUser) -> Response:
    """The detail pane of one call (an HTML fragment)."""
    modes = policy_modes(request)
    with session_scope() as session:
        row = get_recommendation(session, recommendation_id)
        detail = detail_view(session, row, user, modes)
    context = {"user": user, "detail": detail, "modes": modes, "backup_labels": BACKUP_LABELS}
    return page(request, "_detail.html", context)


@router.post("/calls/{recommendation_id}/decision")
def decide(
    request: Request,
    recommendation_id: RecId,
    user: DeciderUser,
    action: Annotated[Literal["accepted", "overridden"], Form()],
    response_mode: Annotated[str | None, Form(max_length=64)] = None,
    backup_level: Annotated[int | None, Form(ge=0, le=3)] = None,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
    csrf_token: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Accept or override a call; a later decision amends it and the history is kept."""
    require_csrf(request, user, csrf_token)
    modes = policy_modes(request)
    with session_scope(write=True) as session:
        row = get_recommendation(session, recommendation_id)
        if action == "accepted":  # accepting keeps what was recommended
            response_mode, backup_level = row.response_mode, row.backup_level
        body = _decision_body(action, response_mode, backup_level, reason)
        record_decision(session, row.id, body, decided_by=user.principal.key_id, known_modes=modes)
    if request.headers.get("X-Requested-With") != "fetch":
        return RedirectResponse(f"/console?call={recommendation_id}", status_code=303)
    return _decision_answer(recommendation_id, user, modes)


def _decision_body(
    action: str, response_mode: str | None, backup_level: int | None, reason: str | None
) -> DecisionIn:
    try:
        return DecisionIn(
            action=action,  # type: ignore[arg-type]
            response_mode=response_mode or "",
            backup_level=backup_level if backup_level is not None else -1,
            reason=reason or None,
        )
    except ValidationError as exc:
        fields = [
            {"field": str(err["loc"][0]) if err["loc"] else "reason", "message": err["msg"]}
            for err in exc.errors()
        ]
        raise ServiceError(422, "validation_error", fields[0]["message"], fields=fields) from exc


def _decision_answer(recommendation_id: str, user: ConsoleUser, modes: dict[str, str]) -> Response:
    with session_scope() as session:
        row = get_recommendation(session, recommendation_id)
        detail = detail_view(session, row, user, modes)
    context = {"user": user, "detail": detail, "modes": modes, "backup_labels": BACKUP_LABELS}
    detail_html = templates.env.get_template("_detail.html").render(context)
    return JSONResponse(
        {
            "recommendation_id": recommendation_id,
            "decision_state": detail.row.decision_state,
            "row_html": render_row(detail.row),
            "detail_html": detail_html,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/analytics")
def analytics_page(
    request: Request,
    user: PageUser,
    range_name: Annotated[str | None, Query(alias="range", max_length=8)] = None,
) -> Response:
    """Charts for analysts and admins; dispatchers are refused (403)."""
    if not user.can_view_analytics:
        return page(request, "forbidden.html", {"user": user}, 403)
    window = analytics.window_for(range_name)
    with session_scope() as session:
        summary = analytics.summary(session, window)
        sections = build_sections(session, window)
    context = {
        "user": user,
        "active": "analytics",
        "window": window,
        "ranges": list(analytics.RANGES),
        "summary": summary,
        "sections": sections,
    }
    return page(request, "analytics.html", context)


@router.get("/static/{name}")
def static_file(name: Annotated[str, Path(max_length=40)]) -> Response:
    """The console's own script and style sheet (no CDN, no build step)."""
    if name not in STATIC_FILES:
        raise ServiceError(404, "not_found", "no such file")
    return FileResponse(
        STATIC_DIR / name,
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
