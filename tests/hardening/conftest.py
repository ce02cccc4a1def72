"""Per-process hardening state (breaker, key cache, outage index, leases) reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.keys.cache import key_cache
from service.ratelimit import reset_rate_limiters
from service.resilience.fallback import outage_index
from service.resilience.outage import database_health


@pytest.fixture(autouse=True)
def fresh_hardening_state() -> Iterator[None]:
    yield
    database_health.mark_up()
    key_cache.clear()
    outage_index.clear()
    reset_rate_limiters()
