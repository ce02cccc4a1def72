"""Prometheus metrics of the hardening layer (never a narrative, never a key secret)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

DATABASE_UP = Gauge(
    "triage_database_up",
    "1 while this process reaches the database, 0 while it journals.",
    multiprocess_mode="liveall",
)
JOURNALED = Counter(
    "triage_journal_records_total", "Recommendations written to the local outage journal."
)
REPLAYED = Counter(
    "triage_journal_replayed_total", "Journaled recommendations inserted into the database."
)
REPLAY_SKIPPED = Counter(
    "triage_journal_replay_skipped_total",
    "Journaled recommendations already in the database when replayed (a crash mid-replay).",
)
PENDING_SEGMENTS = Gauge(
    "triage_journal_segments",
    "Journal segments waiting for replay in this process's journal directory.",
    multiprocess_mode="livemax",
)
RATE_LIMITED = Counter("triage_rate_limited_total", "Requests refused with 429.")
RATE_LIMIT_FAIL_OPEN = Counter(
    "triage_rate_limit_fail_open_total",
    "Requests admitted without the shared counter because the database was unreachable.",
)
OVERLOADED = Counter("triage_overloaded_total", "Triage requests refused by the concurrency cap.")
TIMED_OUT = Counter("triage_request_timeouts_total", "Requests answered 504 at their deadline.")
AUTH_FROM_CACHE = Counter(
    "triage_auth_cache_hits_total",
    "Keys accepted from the per-process cache while the database was unreachable.",
)
