"""Per-key rate limits that hold across workers and replicas: counters live in the database.

Fixed windows of ``rate_limit_window_seconds``; at most ``rate_limit_requests`` requests per key
and window (0 turns limiting off). To keep the database out of the hot path, each process
*leases* a small block of a window's budget with one atomic upsert and spends it locally, so
the limit is never exceeded and the counter is written about once per block. An unused block
is lost when its window ends (at most one block per process per window).

When the database is unreachable the limiter fails open to a per-process window of the same
size: triage keeps answering from the journal, a flood from one key is still bounded.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import structlog
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.db import session_scope
from service.errors import ServiceError
from service.models import RateLimitCounter
from service.resilience import metrics
from service.resilience.outage import database_health, is_database_unavailable

log = structlog.get_logger("service.ratelimit")
_MAX_BLOCK = 100


@dataclass
class Lease:
    """Requests this process may still admit for ``key_id`` in the window ``window_start``."""

    window_start: int
    tokens: int
    exhausted: bool = False


def _upsert_add(session: Session, key_id: str, window_start: int, amount: int) -> int:
    """Atomically add ``amount`` to the key's counter for the window; the new total."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = RateLimitCounter.__table__
    statement = dialect.insert(table).values(key_id=key_id, window_start=window_start, count=amount)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key_id, table.c.window_start],
        set_={"count": table.c.count + amount},
    ).returning(table.c.count)
    return int(session.execute(statement).scalar_one())


class RateLimiter:
    """The process's view of the shared counters."""

    def __init__(self, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window = window_seconds
        self.block = max(1, min(_MAX_BLOCK, limit // 20))
        self._lock = threading.Lock()
        self._leases: dict[str, Lease] = {}
        self._swept_window = 0

    def check(self, key_id: str) -> None:
        """Admit one request of ``key_id`` or raise 429 with Retry-After."""
        if self.limit <= 0:
            return
        now = time.time()
        window_start = int(now // self.window) * self.window
        with self._lock:
            lease = self._leases.get(key_id)
            if lease is None or lease.window_start != window_start:
                lease = self._leases[key_id] = Lease(window_start, 0)
            if lease.tokens == 0 and not lease.exhausted:
                lease.tokens, shared = self._lease_block(key_id, window_start)
                # A fail-open budget is the whole window's: when it is spent, it is spent.
                lease.exhausted = lease.tokens == 0 or not shared
            if lease.tokens > 0:
                lease.tokens -= 1
                return
        metrics.RATE_LIMITED.inc()
        retry_after = max(1, math.ceil(window_start + self.window - now))
        raise ServiceError(
            429,
            "rate_limited",
            f"more than {self.limit} requests in {self.window} s for this key",
            headers={"Retry-After": str(retry_after)},
        )

    def _lease_block(self, key_id: str, window_start: int) -> tuple[int, bool]:
        """Reserve up to one block of the window's budget: (tokens, from the shared counter).

        On an outage: the whole limit, for this process alone (fail open, still bounded).
        """
        if database_health.is_down():
            metrics.RATE_LIMIT_FAIL_OPEN.inc()
            return self.limit, False
        try:
            with session_scope(write=True) as session:
                total = _upsert_add(session, key_id, window_start, self.block)
                self._sweep(session, window_start)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            database_health.mark_down(exc)
            metrics.RATE_LIMIT_FAIL_OPEN.inc()
            return self.limit, False
        before = total - self.block
        return max(0, min(self.block, self.limit - before)), True

    def _sweep(self, session: Session, window_start: int) -> None:
        """Delete counters of past windows, once per window per process."""
        if self._swept_window == window_start:
            return
        self._swept_window = window_start
        session.execute(
            delete(RateLimitCounter).where(RateLimitCounter.window_start < window_start)
        )


_limiters: dict[tuple[int, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def get_rate_limiter(limit: int, window_seconds: int) -> RateLimiter:
    """The process-wide limiter for these settings."""
    with _limiters_lock:
        key = (limit, window_seconds)
        if key not in _limiters:
            _limiters[key] = RateLimiter(limit, window_seconds)
        return _limiters[key]


def reset_rate_limiters() -> None:
    """Forget every lease (tests)."""
    with _limiters_lock:
        _limiters.clear()
