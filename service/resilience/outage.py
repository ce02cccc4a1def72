"""Is the database reachable? Classify driver errors and keep a per-process circuit breaker.

While the breaker is open the triage path goes straight to the journal instead of paying a
connect timeout on every request; the replayer thread probes the database and closes it.
"""

from __future__ import annotations

import threading
import time

import structlog
from sqlalchemy import exc as sa_exc

from service.resilience import metrics

log = structlog.get_logger("service.resilience")


def is_database_unavailable(error: BaseException) -> bool:
    """True for errors that mean "the database cannot be reached or used right now".

    Connection refused or reset, timeouts, a server shutting down, pool exhaustion and
    SQLite's locked or unreadable file are all OperationalError, InterfaceError or a
    disconnect; constraint violations and programming errors are not.
    """
    if isinstance(error, sa_exc.TimeoutError):  # QueuePool exhausted
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return False


class DatabaseHealth:
    """The breaker: ``down_since`` is set by a failed call and cleared by a successful probe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.last_error: str | None = None
        self.schema_pending = False  # started during an outage: upgrade when it returns
        metrics.DATABASE_UP.set(1)

    def is_down(self) -> bool:
        """True while the breaker is open (this process believes the database is away)."""
        return self.down_since is not None

    def mark_down(self, error: BaseException) -> None:
        """Open the breaker after ``error``; logs only the error's type, never its text."""
        with self._lock:
            if self.down_since is None:
                self.down_since = time.time()
                log.warning("database_unreachable", error=type(error).__name__)
            self.last_error = type(error).__name__
        metrics.DATABASE_UP.set(0)

    def mark_up(self) -> None:
        """Close the breaker (the database answered)."""
        with self._lock:
            if self.down_since is not None:
                log.warning("database_reachable", down_seconds=round(time.time() - self.down_since))
            self.down_since = None
            self.last_error = None
        metrics.DATABASE_UP.set(1)


database_health = DatabaseHealth()


def upgrade_schema_or_degrade(url: str) -> bool:
    """Create or upgrade the schema; if the database is unreachable, start degraded instead.

    A worker respawned (or a server restarted) during an outage must still answer triage from
    the journal; the replayer upgrades the schema before its first replay. Any other error
    (a broken migration, a misconfigured driver) is raised.
    """
    from service import db

    try:
        db.upgrade_schema(url)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        database_health.mark_down(exc)
        database_health.schema_pending = True
        log.error("database_unreachable_at_start", error=type(exc).__name__)
        return False
    return True
