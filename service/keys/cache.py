"""Verify keys during a database outage from a per-process cache of recent verifications.

While the database answers, every request is checked against it (a revoked key is refused
at once on every worker) and the cache only records the result. The cache is consulted only
while the database is unreachable, and only for keys verified within ``auth_cache_seconds``
before the outage began. It maps the SHA-256 of a secret to its principal, never the secret.

Every minute while the database answers (after dropping revoked keys) the cache is written to
``verified-keys.json`` in the journal directory (0600), and a starting process reads it: a
worker respawned during an outage can still verify the CAD's key. The file holds what the
``api_keys`` table holds (hashes and roles), no secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from pathlib import Path

from sqlalchemy import select

from service.config import get_settings
from service.db import session_scope
from service.errors import ServiceError
from service.keys.service import Principal, is_well_formed, verify_secret_fast
from service.models import ApiKey
from service.resilience import metrics
from service.resilience.outage import database_health, is_database_unavailable

_MAX_ENTRIES = 10_000
_REFRESH_SECONDS = 30.0


class VerifiedKeyCache:
    """SHA-256 of a secret -> (principal, time of its last successful verification)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._last_refresh = 0.0
        self.changed = False  # a key was added or dropped since the last save

    def remember(self, digest: str, principal: Principal) -> None:
        """Record a successful verification against the database."""
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES and digest not in self._entries:
                oldest = min(self._entries, key=lambda d: self._entries[d][1])
                del self._entries[oldest]
            self.changed = self.changed or digest not in self._entries
            self._entries[digest] = (principal, time.time())

    def forget(self, digest: str) -> None:
        """Drop a key the database refused (unknown or revoked)."""
        with self._lock:
            self._entries.pop(digest, None)

    def lookup(self, digest: str, *, verified_after: float) -> Principal | None:
        """The cached principal if it was verified after ``verified_after``."""
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or entry[1] < verified_after:
            return None
        return entry[0]

    def clear(self) -> None:
        """Forget every key (tests)."""
        with self._lock:
            self._entries.clear()

    def drop_revoked(self) -> None:
        """Evict keys revoked (or deleted) since they were cached; at most every 30 s."""
        if time.monotonic() - self._last_refresh < _REFRESH_SECONDS:
            return
        self._last_refresh = time.monotonic()
        with self._lock:
            cached = {p.key_id for p, _ in self._entries.values()}
        if not cached:
            return
        with session_scope() as session:
            active = set(
                session.scalars(
                    select(ApiKey.id).where(ApiKey.id.in_(cached), ApiKey.revoked_at.is_(None))
                )
            )
        with self._lock:
            for digest in [d for d, (p, _) in self._entries.items() if p.key_id not in active]:
                del self._entries[digest]
                self.changed = True

    def save(self, path: Path) -> None:
        """Write the cache atomically (a crash leaves the old file or the new one)."""
        with self._lock:
            snapshot = {d: [p.key_id, p.name, p.role, at] for d, (p, at) in self._entries.items()}
            self.changed = False
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(snapshot, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def load(self, path: Path) -> None:
        """Merge a saved cache (newer verifications win); a missing or bad file is ignored."""
        with contextlib.suppress(OSError, ValueError, TypeError):
            saved = json.loads(path.read_text())
            with self._lock:
                for digest, (key_id, name, role, at) in saved.items():
                    if digest not in self._entries or self._entries[digest][1] < at:
                        self._entries[digest] = (Principal(key_id, name, role), float(at))


key_cache = VerifiedKeyCache()
_SAVE_SECONDS = 60.0
_last_save = 0.0


def cache_file(journal_dir: Path) -> Path:
    """Where the verified-key snapshot lives."""
    return Path(journal_dir) / "verified-keys.json"


def refresh_and_save(journal_dir: Path) -> None:
    """Replayer hook (database up): drop revoked keys; save when a key was added or dropped,
    else once a minute (to keep verification times fresh)."""
    global _last_save
    key_cache.drop_revoked()
    if key_cache.changed or time.monotonic() - _last_save >= _SAVE_SECONDS:
        _last_save = time.monotonic()
        key_cache.save(cache_file(journal_dir))


def secret_digest(secret: str) -> str:
    """The SHA-256 of a presented secret (what the database stores, too)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _from_cache(digest: str) -> Principal:
    down_since = database_health.down_since or time.time()
    principal = key_cache.lookup(
        digest, verified_after=down_since - get_settings().auth_cache_seconds
    )
    if principal is None:
        raise ServiceError(
            503,
            "database_unavailable",
            "the database is unreachable and this key was not verified recently",
            headers={"Retry-After": "5"},
        )
    metrics.AUTH_FROM_CACHE.inc()
    return principal


def principal_for_secret(secret: str) -> Principal | None:
    """The principal of a secret: from the database, or from the cache during an outage."""
    if not is_well_formed(secret):
        return None
    digest = secret_digest(secret)
    if database_health.is_down():
        return _from_cache(digest)
    try:
        principal = verify_secret_fast(secret)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        database_health.mark_down(exc)
        return _from_cache(digest)
    if principal is None:
        key_cache.forget(digest)
    else:
        key_cache.remember(digest, principal)
    return principal
