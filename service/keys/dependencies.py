"""Authentication dependencies: ``Authorization: Bearer <secret>``, then a role check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.db import session_scope
from service.errors import ServiceError
from service.keys.service import Principal, verify_secret

_bearer = HTTPBearer(auto_error=False, description="An API key created by `triage keys create`.")


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal; 401 when the key is missing, malformed, unknown or revoked."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:  # set by the console's session cookie
        return principal
    if credentials is None or not credentials.credentials:
        raise ServiceError(
            401, "unauthorized", "missing API key", headers={"WWW-Authenticate": "Bearer"}
        )
    with session_scope() as session:
        principal = verify_secret(session, credentials.credentials)
    if principal is None:
        raise ServiceError(
            401,
            "unauthorized",
            "unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    return principal


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency that admits only ``roles``; 403 for any other authenticated role."""

    def _check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
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
