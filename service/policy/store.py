"""Storage of activated policies: the ``policy_versions`` table.

An invalid policy is refused before anything is written, so it never replaces the active one.
Every worker follows the active row (see ``reloader.py``).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.models import PolicyVersion, utcnow
from service.policy.loader import Policy, parse_policy

MAX_SOURCE_CHARS = 500


def active_policy_record(session: Session) -> PolicyVersion | None:
    """The active policy row, or None when no policy was ever activated in the database."""
    return session.scalar(select(PolicyVersion).where(PolicyVersion.is_active.is_(True)))


def list_policies(session: Session, *, limit: int = 100) -> list[PolicyVersion]:
    """Activations, newest first (the audit trail of who activated what and when)."""
    query = select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(limit)
    return list(session.scalars(query))


def policy_from_record(record: PolicyVersion) -> Policy:
    """Re-validate a stored policy's text; raises ``PolicyError`` if this code refuses it."""
    return parse_policy(record.content, f"policy_versions/{record.id} ({record.source})")


def activate_policy(
    session: Session, *, text: str, source: str, activated_by: str
) -> PolicyVersion:
    """Validate ``text`` and make it the active policy; raise ``PolicyError`` if invalid.

    Idempotent: activating the content that is already active returns the active row and
    writes nothing. Activating other content (new, or an older version again) adds a row.
    Call inside a write transaction (``session_scope(write=True)``).
    """
    policy = parse_policy(text, source)
    current = active_policy_record(session)
    if current is not None and current.content_hash == policy.content_hash:
        return current
    now = utcnow()
    session.execute(
        update(PolicyVersion)
        .where(PolicyVersion.is_active.is_(True))
        .values(is_active=False, deactivated_at=now)
    )
    session.flush()
    record = PolicyVersion(
        version=policy.version,
        content=text,
        content_hash=policy.content_hash,
        source=source[-MAX_SOURCE_CHARS:],
        activated_by=activated_by,
        activated_at=now,
        is_active=True,
    )
    session.add(record)
    session.flush()
    return record
