"""What /readyz reports: the database, the journal, and whether triage can be answered.

``/readyz`` follows the contract: 503 while the database does not answer. Its body says
``"mode": "degraded-journaling"`` when triage is still answered from the journal. Load
balancers should probe ``/readyz/triage``, which stays 200 in that mode, so an outage of the
shared database never takes every replica out of rotation (docs/security.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from service import db
from service.resilience.journal import get_journal
from service.resilience.outage import database_health


def journal_writable(directory: Path) -> bool:
    """True when the journal directory exists (or can be made) and accepts new files."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return os.access(directory, os.W_OK | os.X_OK)


def readiness(runtime: Any, journal_dir: Path) -> dict[str, Any]:
    """The readiness body; ``triage_ready`` tells whether POST /v1/triage can be answered."""
    snap = runtime.snapshot
    # While the breaker is open the replayer probes the database; do not wait on it here.
    database = not database_health.is_down() and db.ping()
    writable = journal_writable(journal_dir)
    if database:
        mode = "normal"
    elif writable:
        mode = "degraded-journaling"
    else:
        mode = "unavailable"
    pending = len(get_journal(journal_dir).segments())
    return {
        "status": "ready" if (runtime.ready and database) else "not_ready",
        "mode": mode,
        "model_version": getattr(snap.model, "version", None),
        "policy_version": getattr(snap.policy, "version", None),
        "database": "ok" if database else "unreachable",
        "journal": {"writable": writable, "segments_pending": pending},
        "triage_ready": bool(runtime.ready and mode != "unavailable"),
    }
