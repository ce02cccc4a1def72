"""Console request dependencies: who is signed in, role checks, CSRF checks, cookie flags."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from service.console.auth import (
    COOKIE_NAME,
    COOKIE_PATH,
    ConsoleUser,
    resume_session,
    tokens_match,
)
from service.db import session_scope
from service.errors import ServiceError

LOGIN_PATH = "/console/login"
CSRF_HEADER = "X-CSRF-Token"


def current_user(request: Request) -> ConsoleUser | None:
    """The signed-in user of this request, looked up (and the key re-checked) once."""
    if hasattr(request.state, "console_user"):
        return request.state.console_user  # type: ignore[no-any-return]
    with session_scope() as session:
        user = resume_session(session, request.cookies.get(COOKIE_NAME))
    request.state.console_user = user
    if user is not None:
        request.state.principal = user.principal  # the access log names the key
    return user


def page_user(request: Request) -> ConsoleUser:
    """Pages: the signed-in user, or a redirect to the sign-in page."""
    user = current_user(request)
    if user is None:
        raise ServiceError(
            303, "sign_in_required", "sign in to the console", headers={"Location": LOGIN_PATH}
        )
    return user


def api_user(request: Request) -> ConsoleUser:
    """Fragments, actions and the event stream: the signed-in user, or 401."""
    user = current_user(request)
    if user is None:
        raise ServiceError(401, "unauthorized", "not signed in to the console")
    return user


def decider_user(user: Annotated[ConsoleUser, Depends(api_user)]) -> ConsoleUser:
    """Dispatchers and admins only: accept or override."""
    if not user.can_decide:
        raise ServiceError(403, "forbidden", f"role {user.principal.role!r} may not decide calls")
    return user


def require_csrf(request: Request, user: ConsoleUser, form_token: str | None) -> None:
    """Refuse a POST whose CSRF token (header or hidden field) is not this session's."""
    presented = request.headers.get(CSRF_HEADER) or form_token
    if not tokens_match(user.csrf_token, presented):
        raise ServiceError(403, "csrf_failed", "missing or wrong CSRF token; reload the page")


def secure_cookies(request: Request) -> bool:
    """Secure cookies when served over TLS, or when the operator says so (behind a proxy)."""
    return request.url.scheme == "https" or bool(request.app.state.settings.secure_cookies)


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, path: str = COOKIE_PATH
) -> None:
    """Set a console cookie: HttpOnly, SameSite=Strict, Secure over TLS; ends with the browser."""
    response.set_cookie(
        name,
        value,
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )


def clear_cookie(
    request: Request, response: Response, name: str = COOKIE_NAME, *, path: str = COOKIE_PATH
) -> None:
    """Remove a console cookie."""
    response.delete_cookie(
        name, path=path, httponly=True, samesite="strict", secure=secure_cookies(request)
    )


PageUser = Annotated[ConsoleUser, Depends(page_user)]
ApiUser = Annotated[ConsoleUser, Depends(api_user)]
DeciderUser = Annotated[ConsoleUser, Depends(decider_user)]
