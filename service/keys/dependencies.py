"""Authentication dependencies: ``Authorization: Bearer <secret>``, then a role check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.config import get_settings
from service.errors import ServiceError
from service.keys.cache import principal_for_secret
from service.keys.service import Principal
from service.ratelimit import get_rate_limiter

_bearer = HTTPBearer(auto_error=False, description="An API key created by `triage keys create`.")


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal; 401 when the key is missing, malformed, unknown or revoked.

    Then the key's rate limit: 429 with Retry-After past ``rate_limit_requests``.
    """
    principal = getattr(request.state, "principal", None)
    if principal is not None:  # set by the console's session cookie
        _enforce_rate_limit(principal)
        return principal
    if credentials is None or not credentials.credentials:
        raise ServiceError(
            401, "unauthorized", "missing API key", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = principal_for_secret(credentials.credentials)
    if principal is None:
        raise ServiceError(
            401,
            "unauthorized",
            "unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    _enforce_rate_limit(principal)
    request.state.principal = principal
    return principal


def _enforce_rate_limit(principal: Principal) -> None:
    settings = get_settings()
    limiter = get_rate_limiter(settings.rate_limit_requests, settings.rate_limit_window_seconds)
    limiter.check(principal.key_id)


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only ``roles``; 403 for any other authenticated role."""

    # async: a plain ``def`` dependency costs a trip through the thread pool on every request.
    async def _check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise ServiceError(
                403, "forbidden", f"role {principal.role!r} may not call this endpoint"
            )
        return principal

    _check.__name__ = f"require_{'_'.join(roles)}"
    return _check


CadKey = Annotated[Principal, Depends(require_roles("cad", "admin"))]
DispatcherKey = Annotated[Principal, Depends(require_roles("dispatcher", "admin"))]
AnalystKey = Annotated[Principal, Depends(require_roles("analyst", "admin"))]
AdminKey = Annotated[Principal, Depends(require_roles("admin"))]
ReaderKey = Annotated[Principal, Depends(require_roles("cad", "dispatcher", "analyst", "admin"))]
StaffKey = Annotated[Principal, Depends(require_roles("dispatcher", "analyst", "admin"))]
