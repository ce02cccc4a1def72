"""Recommendation rows for storage tests that need a stored call without running triage."""

from __future__ import annotations

import secrets
from typing import Any

from service.models import Recommendation

ROUTINE_TAGS = {
    t: {"probability": 0.1, "present": t == "routine", "uncertain": False}
    for t in ("mental_health", "drugs", "weapon", "routine")
}


def routine_row(call_id: str, **overrides: Any) -> Recommendation:
    """An unsaved routine patrol recommendation of ``call_id`` (random id and hashes unless
    ``overrides`` sets them)."""
    values: dict[str, Any] = {
        "id": "rec_" + secrets.token_hex(12),
        "call_id": call_id,
        "narrative": "LOUD MUSIC APT 4",
        "narrative_sha256": secrets.token_hex(32),
        "tags": ROUTINE_TAGS,
        "mental_health": False,
        "drugs": False,
        "weapon": False,
        "routine": True,
        "response_mode": "patrol",
        "backup_level": 0,
        "needs_review": False,
        "review_reasons": [],
        "guidance": [],
        "explanation": {"tags": {}, "rule": "r"},
        "model_version": "m",
        "policy_version": "p",
        "request_id": "req-1",
        "request_sha256": secrets.token_hex(32),
    }
    values.update(overrides)
    return Recommendation(**values)
