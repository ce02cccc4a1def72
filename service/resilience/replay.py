"""Replay journaled recommendations into the database, exactly once.

Insertion is keyed by the recommendation id: a row already present (a commit whose answer
was lost, or a crash between commit and deleting the segment) is skipped, so replaying a
segment twice never duplicates. A segment is deleted only after all its rows are committed.
Call versions are renumbered against the database, in journal order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import db
from service.config import Settings
from service.models import Recommendation
from service.resilience import metrics
from service.resilience.fallback import outage_index
from service.resilience.journal import (
    Journal,
    claim_segment,
    get_journal,
    quarantine_segment,
    read_segment,
    remove_segment,
)
from service.resilience.outage import database_health, is_database_unavailable
from service.resilience.records import TABLE, record_to_row

log = structlog.get_logger("service.resilience")
BATCH = 500
_ATTEMPTS = 3


def _link_to_latest(session: Session, row: Recommendation) -> None:
    """Make ``row`` the next version of its call as the database knows it now."""
    from service.triage.service import describe_changes

    latest = session.scalar(
        select(Recommendation)
        .where(Recommendation.call_id == row.call_id)
        .order_by(Recommendation.call_version.desc())
        .limit(1)
    )
    if latest is None:
        row.call_version, row.previous_id, row.changes = 1, None, None
        return
    row.call_version = latest.call_version + 1
    row.previous_id = latest.id
    row.changes = describe_changes(latest, row)


def _release_taken_idempotency_key(session: Session, row: Recommendation) -> None:
    """Another worker stored the same Idempotency-Key meanwhile: keep the row, drop the key."""
    if not row.idempotency_key:
        return
    taken = session.scalar(
        select(Recommendation.id).where(
            Recommendation.api_key_id == row.api_key_id,
            Recommendation.idempotency_key == row.idempotency_key,
        )
    )
    if taken is not None:
        row.idempotency_key = None


def insert_record(session: Session, record: dict[str, Any]) -> bool:
    """Insert one journaled row unless its id is already stored; True when inserted."""
    if record.get("table") != TABLE:
        log.error("journal_unknown_record", table=str(record.get("table"))[:40])
        return False
    row = record_to_row(record)
    if session.get(Recommendation, row.id) is not None:
        metrics.REPLAY_SKIPPED.inc()
        return False
    _link_to_latest(session, row)
    _release_taken_idempotency_key(session, row)
    session.add(row)
    session.flush()
    return True


def _insert_batch(records: list[dict[str, Any]]) -> int:
    for attempt in range(_ATTEMPTS):
        try:
            with db.session_scope(write=True) as session:
                return sum(insert_record(session, record) for record in records)
        except IntegrityError:
            # Another worker replayed rows of the same call at the same time: number again.
            if attempt == _ATTEMPTS - 1:
                raise
    return 0


def replay_segment(path: Path) -> int:
    """Insert a closed segment's rows and delete it; 0 when another process holds it."""
    with claim_segment(path) as claimed:
        if not claimed:
            return 0
        contents = read_segment(path)
        inserted = 0
        for start in range(0, len(contents.records), BATCH):
            inserted += _insert_batch(contents.records[start : start + BATCH])
        if contents.corrupt_lines:
            kept = quarantine_segment(path)
            log.error("journal_corrupt_lines", lines=contents.corrupt_lines, kept=kept.name)
        else:
            remove_segment(path)
    metrics.REPLAYED.inc(inserted)
    if inserted:
        log.warning("journal_replayed", segment=path.name, rows=inserted)
    return inserted


def replay_all(journal: Journal) -> int:
    """Seal this process's segment and replay every closed segment; raises if the DB fails."""
    if journal.active_path is not None:
        journal.seal()
    return sum(replay_segment(path) for path in journal.segments())


class Replayer:
    """The per-process background thread: probe the database, replay, refresh the key cache."""

    def __init__(self, settings: Settings, *, hooks: list[Callable[[], None]] | None = None):
        self.settings = settings
        self.journal = get_journal(settings.journal_dir)
        self.hooks = list(hooks or [])  # run after each pass that reached the database
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """One pass; never raises (a failure leaves the journal for the next pass)."""
        metrics.PENDING_SEGMENTS.set(len(self.journal.segments()))
        if database_health.is_down() and not db.ping():
            return
        try:
            if database_health.schema_pending:
                db.upgrade_schema(self.settings.database_url)
                database_health.schema_pending = False
            if self.journal.segments() or self.journal.active_path is not None:
                replay_all(self.journal)
                outage_index.clear()
            database_health.mark_up()
            for hook in self.hooks:
                hook()
        except Exception as exc:  # noqa: BLE001 - the thread must survive any failure
            if is_database_unavailable(exc):
                database_health.mark_down(exc)
            else:
                log.error("journal_replay_failed", error=type(exc).__name__)

    def start(self) -> None:
        """Run passes every ``journal_replay_interval_seconds`` in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="journal-replayer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (the journal stays on disk for the next start)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        self.run_once()
        while not self._stop.wait(self.settings.journal_replay_interval_seconds):
            self.run_once()
