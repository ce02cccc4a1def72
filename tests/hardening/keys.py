"""API keys for end-to-end tests, created in this process (the CLI is tested elsewhere and
costs seconds of start-up per call on a busy machine)."""

from __future__ import annotations

from service import db
from service.keys.service import create_key, revoke_key


def key_for(url: str, role: str, name: str = "e2e") -> str:
    """Create a key of ``role`` in the database at ``url`` (schema prepared) and return it."""
    db.upgrade_schema(url)
    with db.session_scope(write=True, url=url) as session:
        _key, secret = create_key(session, role=role, name=name)
    db.dispose_engines()
    return secret


def revoke(url: str, secret: str) -> None:
    """Revoke the key whose secret is ``secret``."""
    with db.session_scope(write=True, url=url) as session:
        revoke_key(session, secret.split("_")[1])
    db.dispose_engines()
