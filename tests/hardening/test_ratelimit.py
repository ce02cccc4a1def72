"""Per-key rate limits shared through the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from service import db
from service.errors import ServiceError
from service.models import RateLimitCounter
from service.ratelimit import RateLimiter
from service.resilience.outage import database_health


def _admitted(limiter: RateLimiter, key_id: str, attempts: int) -> int:
    admitted = 0
    for _ in range(attempts):
        try:
            limiter.check(key_id)
            admitted += 1
        except ServiceError as exc:
            assert exc.status == 429
            assert exc.code == "rate_limited"
            assert 1 <= int(exc.headers["Retry-After"]) <= 3600
    return admitted


def test_the_limit_holds_per_key(configured):
    limiter = RateLimiter(limit=5, window_seconds=3600)
    assert _admitted(limiter, "key-a", 8) == 5
    assert _admitted(limiter, "key-b", 3) == 3  # another key has its own budget


def test_the_limit_holds_across_processes_sharing_the_database(configured):
    # Each RateLimiter is what one worker process holds; only the database is shared.
    workers = [RateLimiter(limit=200, window_seconds=3600) for _ in range(4)]
    admitted = [0] * len(workers)

    def hammer(index: int) -> None:
        admitted[index] = _admitted(workers[index], "shared-key", 120)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(admitted)
    assert total <= 200  # never more than the limit, whatever the interleaving
    # At most one leased block (limit // 20) per worker can go unused in a window.
    assert total >= 200 - len(workers) * (200 // 20)


def test_counters_live_in_the_database_and_old_windows_are_swept(configured):
    with db.session_scope(write=True) as session:
        session.add(RateLimitCounter(key_id="old", window_start=0, count=9))
    limiter = RateLimiter(limit=1000, window_seconds=60)
    limiter.check("key-c")
    with db.session_scope() as session:
        rows = {r.key_id: r.count for r in session.scalars(select(RateLimitCounter))}
    assert rows == {"key-c": limiter.block}


def test_zero_turns_limiting_off(configured):
    assert _admitted(RateLimiter(limit=0, window_seconds=60), "key-d", 50) == 50


def test_fails_open_when_the_database_is_unreachable(monkeypatch, tmp_path):
    from service.config import get_settings

    # Port 1 on localhost refuses connections: a real unreachable PostgreSQL.
    monkeypatch.setenv("TRIAGE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    db.dispose_engines()
    try:
        limiter = RateLimiter(limit=3, window_seconds=3600)
        limiter.check("key-e")  # admitted although no counter could be written
        assert database_health.is_down()
        # Still bounded: the per-process fallback window has the same size.
        assert _admitted(limiter, "key-e", 5) == 2
    finally:
        database_health.mark_up()
        db.dispose_engines()
        get_settings.cache_clear()


@pytest.mark.parametrize("limit", [1, 7, 45])
def test_small_limits_are_exact(configured, limit):
    limiter = RateLimiter(limit=limit, window_seconds=3600)
    assert _admitted(limiter, f"key-{limit}", limit + 5) == limit
