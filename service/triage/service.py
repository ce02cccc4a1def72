"""Triage one call: classify, decide, store durably, then answer from the stored record."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from service import metrics
from service.config import get_settings
from service.db import write_transaction
from service.errors import ServiceError
from service.models import Recommendation
from service.resilience.fallback import journal_recommendation
from service.resilience.limits import triage_slot
from service.resilience.outage import database_health, is_database_unavailable
from service.runtime import Snapshot
from service.triage.schemas import TriageRequest

TAG_NAMES = ("mental_health", "drugs", "weapon", "routine")
_ATTEMPTS = 3
_TABLE = Recommendation.__table__


@dataclass(frozen=True)
class CallContext:
    """Who asked and how: stored with the recommendation for accountability."""

    api_key_id: str | None
    request_id: str
    idempotency_key: str | None = None
    source: str = "api"


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_fingerprint(request: TriageRequest) -> str:
    """A stable hash of the request body, to tell an honest retry from a reused key."""
    body = request.model_dump(mode="json")
    return sha256_text(json.dumps(body, sort_keys=True, separators=(",", ":")))


def new_recommendation_id() -> str:
    """A random, URL-safe recommendation id."""
    return "rec_" + secrets.token_hex(12)


def build_recommendation(
    snapshot: Snapshot, request: TriageRequest, context: CallContext
) -> Recommendation:
    """Classify the note and apply the policy: a new, unsaved recommendation row."""
    from service.integrations.codes import policy_call_type
    from service.policy import decide

    prediction = snapshot.model.classify(request.narrative)
    call_type = policy_call_type(snapshot.model, request.call_type)  # agency code -> common type
    decision = decide(snapshot.policy, prediction, call_type=call_type, narrative=request.narrative)
    tags = {
        name: {
            "probability": round(float(result.probability), 4),
            "present": bool(result.present),
            "uncertain": bool(result.uncertain),
        }
        for name, result in prediction.tags.items()
    }
    explanation = {
        "tags": prediction.as_explanation()["tags"],
        "rule": decision.rule,
        "conditions": list(decision.conditions),
        "response_mode_description": snapshot.policy.modes.get(decision.response_mode, ""),
    }
    return Recommendation(
        id=new_recommendation_id(),
        call_id=request.call_id,
        narrative=request.narrative,
        narrative_sha256=sha256_text(request.narrative),
        call_type=request.call_type,
        received_at=request.received_at,
        source=context.source,
        tags=tags,
        **{name: tags[name]["present"] for name in TAG_NAMES},
        response_mode=decision.response_mode,
        backup_level=decision.backup_level,
        needs_review=decision.needs_review,
        review_reasons=list(decision.review_reasons),
        guidance=list(decision.guidance),
        explanation=explanation,
        model_version=snapshot.model.version,
        policy_version=snapshot.policy.version,
        api_key_id=context.api_key_id,
        request_id=context.request_id,
        idempotency_key=context.idempotency_key,
        request_sha256=request_fingerprint(request),
    )


def describe_changes(previous: Recommendation, current: Recommendation) -> dict[str, Any]:
    """What a new version of a call changes: tags added or removed, mode and backup shifts."""
    before = {t for t in TAG_NAMES[:3] if getattr(previous, t)}
    after = {t for t in TAG_NAMES[:3] if getattr(current, t)}
    changes: dict[str, Any] = {
        "previous_recommendation_id": previous.id,
        "tags_added": sorted(after - before),
        "tags_removed": sorted(before - after),
        "response_mode": None,
        "backup_level": None,
    }
    if previous.response_mode != current.response_mode:
        changes["response_mode"] = {"from": previous.response_mode, "to": current.response_mode}
    if previous.backup_level != current.backup_level:
        changes["backup_level"] = {"from": previous.backup_level, "to": current.backup_level}
    changes["alert"] = bool(changes["tags_added"] or current.backup_level > previous.backup_level)
    return changes


def _existing_for_retry(
    session: Session, candidate: Recommendation, context: CallContext
) -> Recommendation | None:
    """The stored answer to an earlier identical request, or 409 for a reused key."""
    if context.idempotency_key:
        stored = _load(
            session,
            select(_TABLE.c.id).where(
                _TABLE.c.api_key_id == context.api_key_id,
                _TABLE.c.idempotency_key == context.idempotency_key,
            ),
        )
        if stored is not None:
            if stored.request_sha256 != candidate.request_sha256:
                raise ServiceError(
                    409,
                    "idempotency_conflict",
                    "this Idempotency-Key was used with a different request body",
                )
            return stored
    return None


def _latest_version(session: Session, call_id: str) -> Recommendation | None:
    return _load(
        session,
        select(_TABLE.c.id)
        .where(_TABLE.c.call_id == call_id)
        .order_by(_TABLE.c.call_version.desc())
        .limit(1),
    )


def _load(session: Session, id_query: Select[Any]) -> Recommendation | None:
    """The recommendation whose id ``id_query`` finds, if any.

    Looked up as a bare Core query first: on every triage the answer is usually "none", and an
    ORM query costs about twice as much; the entity is loaded only when there is one.
    """
    found = session.connection().execute(id_query).scalar()
    return None if found is None else session.get(Recommendation, found)


def store_recommendation(
    session: Session, candidate: Recommendation, context: CallContext
) -> Recommendation:
    """Insert ``candidate`` as the next version of its call, unless it repeats a stored one.

    A retry (same Idempotency-Key, or the same note and call type as the latest version of
    the call) returns the stored recommendation and creates no second record.
    """
    existing = _existing_for_retry(session, candidate, context)
    if existing is not None:
        return existing
    latest = _latest_version(session, candidate.call_id)
    if latest is not None:
        same_note = latest.narrative_sha256 == candidate.narrative_sha256
        if same_note and latest.call_type == candidate.call_type:
            return latest
        candidate.call_version = latest.call_version + 1
        candidate.previous_id = latest.id
        candidate.changes = describe_changes(latest, candidate)
    else:
        candidate.call_version = 1
    session.add(candidate)
    session.flush()
    return candidate


def triage_call(snapshot: Snapshot, request: TriageRequest, context: CallContext) -> Recommendation:
    """Classify, decide and commit; the returned row is durable before anyone is told.

    While the database is unreachable the row is fsync'd to the local journal instead and
    replayed, exactly once, when it returns (service.resilience). At most
    ``max_concurrent_triage`` calls run at once per process; others wait briefly, then 503.
    """
    settings = get_settings()
    with triage_slot(settings.max_concurrent_triage, settings.concurrency_wait_seconds):
        candidate = build_recommendation(snapshot, request, context)
        if database_health.is_down():
            stored = journal_recommendation(candidate)
        else:
            try:
                stored, candidate = _commit(snapshot, request, context, candidate)
            except SQLAlchemyError as exc:
                if not is_database_unavailable(exc):
                    raise
                database_health.mark_down(exc)
                # Same id: if the commit did land, the replay finds the row and skips it.
                stored = journal_recommendation(candidate)
    if stored is candidate:
        count_recommendation(stored)
    return stored


def _commit(
    snapshot: Snapshot, request: TriageRequest, context: CallContext, candidate: Recommendation
) -> tuple[Recommendation, Recommendation]:
    """Store ``candidate`` (rebuilt after a lost race); the stored row and the last candidate."""
    for attempt in range(_ATTEMPTS):
        try:
            # Group commit on SQLite: concurrent triages share one transaction and disk sync.
            stored = write_transaction(
                functools.partial(store_recommendation, candidate=candidate, context=context)
            )
            break
        except IntegrityError:
            # A concurrent request took the same version number or idempotency key: look again.
            if attempt == _ATTEMPTS - 1:
                raise
            candidate = build_recommendation(snapshot, request, context)
    return stored, candidate


def count_recommendation(row: Recommendation) -> None:
    """Update the recommendation counters (no narrative ever reaches a metric)."""
    metrics.RECOMMENDATIONS.labels(response_mode=row.response_mode).inc()
    for name in TAG_NAMES:
        if getattr(row, name):
            metrics.TAGS.labels(tag=name).inc()
    if row.needs_review:
        metrics.NEEDS_REVIEW.inc()
