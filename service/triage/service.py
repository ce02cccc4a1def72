"""Triage one call: classify, decide, store durably, then answer from the stored record."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, union_all
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from service import metrics
from service.config import get_settings
from service.db import write_transaction
from service.errors import ServiceError
from service.integrations.webhooks import endpoint_cache, write_recommendation_outbox
from service.models import Recommendation, utcnow
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
    explained = prediction.as_explanation()
    explanation = {
        "tags": explained["tags"],
        **({"words": explained["words"]} if "words" in explained else {}),
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


# What store_recommendation needs of an earlier row: which request it answered (idempotency),
# which note (a retry of the same note), and what describe_changes compares.
_LOOKUP_COLUMNS = tuple(
    _TABLE.c[name]
    for name in (
        "id", "call_version", "api_key_id", "idempotency_key", "request_sha256",
        "narrative_sha256", "call_type", "response_mode", "backup_level", *TAG_NAMES[:3],
    )
)  # fmt: skip


def _lookup_statements() -> tuple[Any, Any, Any]:
    """Built once (construction costs as much as a small query): the latest version of the
    call; that or the row stored under an Idempotency-Key of a key; or of no key."""
    latest_id = (
        select(_TABLE.c.id)
        .where(_TABLE.c.call_id == bindparam("call_id"))
        .order_by(_TABLE.c.call_version.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest = select(*_LOOKUP_COLUMNS).where(_TABLE.c.id == latest_id)
    same_key = _TABLE.c.idempotency_key == bindparam("idempotency_key")
    keyed = select(*_LOOKUP_COLUMNS).where(_TABLE.c.api_key_id == bindparam("api_key_id"), same_key)
    keyless = select(*_LOOKUP_COLUMNS).where(_TABLE.c.api_key_id.is_(None), same_key)
    return latest, union_all(latest, keyed), union_all(latest, keyless)


_LATEST, _LATEST_OR_KEYED, _LATEST_OR_KEYLESS = _lookup_statements()


def _earlier_rows(
    session: Session, candidate: Recommendation, context: CallContext
) -> tuple[Row[Any] | None, Row[Any] | None]:
    """(the row stored under this Idempotency-Key, the latest version of the call): one
    statement, one round trip."""
    params: dict[str, str | None] = {"call_id": candidate.call_id}
    if not context.idempotency_key:
        statement = _LATEST
    else:
        statement = _LATEST_OR_KEYED if context.api_key_id else _LATEST_OR_KEYLESS
        params.update(api_key_id=context.api_key_id, idempotency_key=context.idempotency_key)
    keyed = latest = None
    for row in session.connection().execute(statement, params):
        if (
            context.idempotency_key
            and row.idempotency_key == context.idempotency_key
            and row.api_key_id == context.api_key_id
        ):
            keyed = row
        else:
            latest = row
    return keyed, latest


def store_recommendation(
    session: Session, candidate: Recommendation, context: CallContext
) -> Recommendation:
    """Insert ``candidate`` as the next version of its call, unless it repeats a stored one.

    A retry (same Idempotency-Key, or the same note and call type as the latest version of
    the call) returns the stored recommendation and creates no second record; the same key
    with another body is a 409. The row is written with a Core insert and its webhook outbox
    rows in the same transaction (service.integrations.webhooks).
    """
    keyed, latest = _earlier_rows(session, candidate, context)
    if keyed is not None:
        if keyed.request_sha256 != candidate.request_sha256:
            raise ServiceError(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was used with a different request body",
            )
        return _stored(session, keyed.id)
    if latest is not None:
        same_note = latest.narrative_sha256 == candidate.narrative_sha256
        if same_note and latest.call_type == candidate.call_type:
            return _stored(session, latest.id)
        candidate.call_version = latest.call_version + 1
        candidate.previous_id = latest.id
        candidate.changes = describe_changes(latest, candidate)  # type: ignore[arg-type]
    else:
        candidate.call_version = 1
    _insert(session, candidate)
    return candidate


def _stored(session: Session, recommendation_id: str) -> Recommendation:
    row = session.get(Recommendation, recommendation_id)
    assert row is not None  # read in this transaction a moment ago
    return row


def _insert(session: Session, candidate: Recommendation) -> None:
    """INSERT the row (Core: no unit of work) and its outbox event, on the session's
    connection and in its transaction."""
    candidate.created_at = utcnow()
    candidate.decision_state = candidate.decision_state or "pending"
    candidate.source = candidate.source or "api"
    values = {name: getattr(candidate, name) for name in _COLUMN_NAMES}
    session.connection().execute(_INSERT, values)
    write_recommendation_outbox(session, candidate)


_COLUMN_NAMES = tuple(column.key for column in _TABLE.columns)
_INSERT = insert(Recommendation)


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
            # A concurrent request took the same version number or idempotency key: look again
            # (and read the webhook endpoints again, in case one vanished from under the cache).
            endpoint_cache.invalidate()
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
