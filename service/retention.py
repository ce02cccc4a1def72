"""Narrative retention: past ``retention_days`` a note is erased, its audit record stays.

Purging sets ``narrative`` to NULL and stamps ``narrative_purged_at``; tags, probabilities,
response mode, backup level, versions, explanation, decisions and outcomes are kept, so the
audit trail survives without the caller's words. Run by ``triage purge --older-than DAYS``,
and hourly in every server process when ``TRIAGE_RETENTION_DAYS`` is set (idempotent).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog
from sqlalchemy import select, update

from service.config import Settings
from service.db import session_scope
from service.models import Recommendation, utcnow

log = structlog.get_logger("service.retention")
BATCH = 1000


def purge_narratives(*, older_than_days: float, url: str | None = None) -> int:
    """Erase the narratives of recommendations created more than ``older_than_days`` ago.

    Works in batches of 1000 rows, each committed, so a long purge never holds the
    database's write lock for long. Returns the number of narratives erased.
    """
    cutoff = utcnow() - timedelta(days=older_than_days)
    purged = 0
    while True:
        with session_scope(write=True, url=url) as session:
            ids = list(
                session.scalars(
                    select(Recommendation.id)
                    .where(Recommendation.created_at < cutoff)
                    .where(Recommendation.narrative.is_not(None))
                    .limit(BATCH)
                )
            )
            if ids:
                session.execute(
                    update(Recommendation)
                    .where(Recommendation.id.in_(ids))
                    .values(narrative=None, narrative_purged_at=utcnow())
                )
        purged += len(ids)
        if len(ids) < BATCH:
            return purged


class RetentionJob:
    """Apply ``retention_days`` every ``retention_check_seconds`` in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One purge; never raises (the next run tries again)."""
        days = self.settings.retention_days
        if days is None:
            return 0
        try:
            purged = purge_narratives(older_than_days=days)
        except Exception as exc:  # noqa: BLE001 - e.g. the database is away: try next time
            log.warning("retention_purge_failed", error=type(exc).__name__)
            return 0
        if purged:
            log.info("retention_purged", narratives=purged, older_than_days=days)
        return purged

    def start(self) -> None:
        """Start the thread when a retention period is configured."""
        if self.settings.retention_days is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        self.run_once()
        while not self._stop.wait(self.settings.retention_check_seconds):
            self.run_once()
