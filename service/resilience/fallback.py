"""Triage while the database is away: answer from the journal, best-effort deduplication.

Retries are recognised only within this process and only until its journal is replayed:
the same Idempotency-Key (same body) or the same note for the same call gets the answer
already journaled. A retry that reaches another worker during the outage is journaled again
and stored as a further version of the call (docs/security.md, "Outage").
"""

from __future__ import annotations

import threading

import structlog

from service.config import get_settings
from service.errors import ServiceError
from service.models import Recommendation, utcnow
from service.resilience import metrics
from service.resilience.journal import get_journal
from service.resilience.records import row_to_record

log = structlog.get_logger("service.resilience")
_MAX_INDEXED = 100_000


class OutageIndex:
    """What this process journaled since its last replay, for retries during an outage."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_idempotency: dict[tuple[str | None, str], Recommendation] = {}
        self.latest_by_call: dict[str, Recommendation] = {}

    def clear(self) -> None:
        """Forget everything (the journal was replayed; the database answers retries again)."""
        with self.lock:
            self.by_idempotency.clear()
            self.latest_by_call.clear()

    def remember(self, row: Recommendation) -> None:
        """Index a journaled row (caller holds ``lock``); bounded memory."""
        if len(self.latest_by_call) >= _MAX_INDEXED:
            self.by_idempotency.clear()
            self.latest_by_call.clear()
        if row.idempotency_key:
            self.by_idempotency[(row.api_key_id, row.idempotency_key)] = row
        self.latest_by_call[row.call_id] = row


outage_index = OutageIndex()


def _journaled_retry(candidate: Recommendation) -> Recommendation | None:
    """The journaled answer to an earlier identical request, or 409 for a reused key."""
    if candidate.idempotency_key:
        stored = outage_index.by_idempotency.get((candidate.api_key_id, candidate.idempotency_key))
        if stored is not None:
            if stored.request_sha256 != candidate.request_sha256:
                raise ServiceError(
                    409,
                    "idempotency_conflict",
                    "this Idempotency-Key was used with a different request body",
                )
            return stored
    latest = outage_index.latest_by_call.get(candidate.call_id)
    if latest is not None and (latest.narrative_sha256, latest.call_type) == (
        candidate.narrative_sha256,
        candidate.call_type,
    ):
        return latest
    return None


def _number_provisionally(candidate: Recommendation) -> None:
    """Version the call against what this process journaled; the replay renumbers for real."""
    from service.triage.service import describe_changes

    latest = outage_index.latest_by_call.get(candidate.call_id)
    if latest is None:
        candidate.call_version, candidate.previous_id, candidate.changes = 1, None, None
        return
    candidate.call_version = latest.call_version + 1
    candidate.previous_id = latest.id
    candidate.changes = describe_changes(latest, candidate)


def journal_recommendation(candidate: Recommendation) -> Recommendation:
    """Store ``candidate`` durably in the journal (fsync'd) and return what to answer.

    Raises 503 when the journal cannot be written either, or already holds
    ``TRIAGE_JOURNAL_MAX_MB`` of records not yet replayed: nothing is acknowledged then.
    """
    settings = get_settings()
    journal = get_journal(settings.journal_dir)
    with outage_index.lock:
        retry = _journaled_retry(candidate)
        if retry is not None:
            return retry
        if journal.size_bytes() >= settings.journal_max_mb * 1024 * 1024:
            log.error("journal_full", max_mb=settings.journal_max_mb)
            raise ServiceError(
                503,
                "storage_unavailable",
                "the database is unreachable and the local journal is full (TRIAGE_JOURNAL_MAX_MB)",
                headers={"Retry-After": "5"},
            )
        _number_provisionally(candidate)
        candidate.created_at = candidate.created_at or utcnow()
        candidate.decision_state = candidate.decision_state or "pending"
        candidate.source = candidate.source or "api"
        try:
            journal.append(row_to_record(candidate))
        except OSError as exc:
            log.error("journal_write_failed", error=type(exc).__name__)
            raise ServiceError(
                503,
                "storage_unavailable",
                "the database is unreachable and the local journal cannot be written",
                headers={"Retry-After": "5"},
            ) from exc
        outage_index.remember(candidate)
    metrics.JOURNALED.inc()
    return candidate
