"""Console sessions: random tokens hashed at rest, expiry, re-checked keys, CSRF tokens.

The cookie carries a random token; the database keeps only its SHA-256, so a copy of the
database cannot be replayed as a cookie. Each request looks the session up again and checks
that the API key behind it is still active, so revoking a key ends its console sessions at once.
The CSRF token is an HMAC of the session token: per session, never stored, and useless without
the HttpOnly cookie that a script on another site cannot read or send (SameSite=Strict).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.keys.service import Principal, verify_secret
from service.models import ApiKey, ConsoleSession, utcnow

COOKIE_NAME = "triage_console"
LOGIN_COOKIE_NAME = "triage_console_login"
COOKIE_PATH = "/console"
CONSOLE_ROLES = ("dispatcher", "analyst", "admin")
DECIDER_ROLES = ("dispatcher", "admin")
ANALYTICS_ROLES = ("analyst", "admin")
_MAX_TOKEN_CHARS = 128


class SignInRefused(Exception):
    """The pasted key cannot open a console session; the message says why."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ConsoleUser:
    """A signed-in console user: the key's principal and this session's CSRF token."""

    principal: Principal
    token_hash: str
    csrf_token: str
    expires_at: datetime

    @property
    def can_decide(self) -> bool:
        """Dispatchers and admins accept or override recommendations."""
        return self.principal.role in DECIDER_ROLES

    @property
    def can_view_analytics(self) -> bool:
        """Analysts and admins see the analytics page."""
        return self.principal.role in ANALYTICS_ROLES


def hash_token(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(token: str) -> str:
    """The CSRF token of the session whose cookie holds ``token``."""
    return hmac.new(token.encode("utf-8"), b"triage-console-csrf", hashlib.sha256).hexdigest()


def tokens_match(expected: str, presented: str | None) -> bool:
    """Constant-time comparison that treats a missing value as a mismatch."""
    return bool(presented) and hmac.compare_digest(expected, presented or "")


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def start_session(session: Session, secret: str, *, lifetime: timedelta) -> tuple[str, ConsoleUser]:
    """Verify a pasted key and open a session; returns the cookie token and the user."""
    principal = verify_secret(session, secret.strip())
    if principal is None:
        raise SignInRefused("Unknown or revoked key.", status=401)
    if principal.role not in CONSOLE_ROLES:
        raise SignInRefused(
            f"A {principal.role} key cannot sign in to the console; "
            "use a dispatcher, analyst or admin key.",
            status=403,
        )
    purge_expired(session)
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=hash_token(token),
        api_key_id=principal.key_id,
        expires_at=utcnow() + lifetime,
    )
    session.add(row)
    session.flush()
    user = ConsoleUser(principal, row.token_hash, csrf_for(token), _as_utc(row.expires_at))
    return token, user


def resume_session(session: Session, token: str | None) -> ConsoleUser | None:
    """The user of a live session, or None if unknown, expired, or its key was revoked."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    principal_and_expiry = _live_principal(session, hash_token(token))
    if principal_and_expiry is None:
        return None
    principal, expires_at = principal_and_expiry
    return ConsoleUser(principal, hash_token(token), csrf_for(token), expires_at)


def session_is_live(session: Session, token_hash: str) -> bool:
    """True while the session exists, has not expired and its key is active."""
    return _live_principal(session, token_hash) is not None


def _live_principal(session: Session, token_hash: str) -> tuple[Principal, datetime] | None:
    row = session.get(ConsoleSession, token_hash)
    if row is None or _as_utc(row.expires_at) <= utcnow():
        return None
    key = session.get(ApiKey, row.api_key_id)
    if key is None or key.revoked_at is not None:
        return None
    return Principal(key_id=key.id, name=key.name, role=key.role), _as_utc(row.expires_at)


def end_session(session: Session, token_hash: str) -> None:
    """Delete a session (sign-out)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash))


def purge_expired(session: Session) -> int:
    """Delete every expired session; returns how many."""
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
