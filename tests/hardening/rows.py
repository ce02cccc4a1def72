"""Recommendation rows for tests that need stored rows but not the model."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from service.models import Recommendation
from service.triage.service import new_recommendation_id, sha256_text

TAGS = ("mental_health", "drugs", "weapon", "routine")


def make_row(
    call_id: str | None = None,
    narrative: str = "LOUD MUSIC FROM APT 4B",
    *,
    weapon: bool = False,
    created_at: datetime | None = None,
    **overrides: Any,
) -> Recommendation:
    """An unsaved recommendation shaped exactly like one the triage path builds."""
    present = {"mental_health": False, "drugs": False, "weapon": weapon, "routine": not weapon}
    tags = {
        t: {"probability": 0.9 if p else 0.1, "present": p, "uncertain": False}
        for t, p in present.items()
    }
    values: dict[str, Any] = dict(
        id=new_recommendation_id(),
        call_id=call_id or "C-" + secrets.token_hex(4),
        narrative=narrative,
        narrative_sha256=sha256_text(narrative),
        call_type=None,
        received_at=None,
        source="api",
        tags=tags,
        **present,
        response_mode="armed_response" if weapon else "patrol",
        backup_level=2 if weapon else 0,
        needs_review=False,
        review_reasons=[],
        guidance=["stage"] if weapon else [],
        explanation={"rule": "test"},
        model_version="test-model",
        policy_version="test-policy",
        api_key_id=None,
        request_id=secrets.token_hex(8),
        idempotency_key=None,
        request_sha256=sha256_text(narrative + "|req"),
        call_version=1,
        decision_state="pending",
    )
    if created_at is not None:
        values["created_at"] = created_at
    values.update(overrides)
    return Recommendation(**values)
