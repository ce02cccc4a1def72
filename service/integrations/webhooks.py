"""Signed webhooks: endpoints, a durable outbox written with each recommendation, delivery.

How an event travels:

1. A recommendation (a new call version) or a dispatcher decision is flushed. The
   ``after_flush`` hook below inserts one ``webhook_events`` row (the outbox) and one
   ``webhook_deliveries`` row per subscribed endpoint on the *same connection and transaction*:
   the event exists exactly when the recommendation does.
2. A ``DeliveryWorker`` thread in every serving process claims due deliveries (PostgreSQL:
   ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite: a lease set by ``UPDATE ... RETURNING``),
   POSTs the signed body and records the result. Failures are retried with exponential backoff
   up to a maximum number of attempts; a lease that expires (a crashed process) is taken over,
   so delivery is at least once and receivers dedupe on ``Triage-Event-Id``.

Privacy: the stored payload never holds the narrative, the phrases the classifier quoted from
it (explanation ``evidence`` and ``negated``), nor a dispatcher's free-text reason. They are
added at delivery time, from the stored rows, only for endpoints with ``include_narrative``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, Select, event, insert, select, update
from sqlalchemy.orm import Session

from service.errors import ServiceError
from service.models import (
    Decision,
    Recommendation,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from service.recommendations.service import as_utc, decision_out, to_response

EVENT_TYPES = ("recommendation.created", "recommendation.updated", "decision.recorded")
SIGNATURE_HEADER = "Triage-Signature"
EVENT_ID_HEADER = "Triage-Event-Id"
DEFAULT_TOLERANCE_SECONDS = 300
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_PENDING_FLAG = "webhook_events_pending"
_ENDPOINTS_CHANGED = "webhook_endpoints_changed"
# Explanation keys whose values quote the note: sent only to endpoints with include_narrative.
NOTE_FRAGMENT_KEYS = frozenset({"evidence", "negated"})


# --- signing -------------------------------------------------------------------------------


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the endpoint secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(
    secret: str, body: bytes, timestamp: int | None = None, *, also: Sequence[str] = ()
) -> str:
    """The ``Triage-Signature`` value: ``t=<unix seconds>,v1=<hex HMAC>``, plus one more
    ``v1`` per secret in ``also`` (the previous secret while a rotation overlaps)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signatures = [compute_signature(key, stamp, body) for key in (secret, *also)]
    return f"t={stamp}," + ",".join(f"v1={sig}" for sig in signatures)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The secrets that sign a delivery now: the current one, then the previous one until its
    overlap ends."""
    keys = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and (now or utcnow()) < as_utc(until):
        keys.append(endpoint.previous_secret)
    return keys


def rotate_secret(
    session: Session, endpoint_id: str, overlap_hours: float
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret for an active endpoint (shown once); the old one keeps signing
    alongside it for ``overlap_hours`` so the receiver can switch without missing an event."""
    endpoint = get_endpoint(session, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret if overlap_hours > 0 else None
    endpoint.previous_secret_until = (
        utcnow() + timedelta(hours=overlap_hours) if overlap_hours > 0 else None
    )
    endpoint.secret = secret
    return endpoint, secret


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its time is within tolerance.

    The receiver's recipe: parse ``t`` and every ``v1``, recompute the HMAC over the raw body,
    compare in constant time, reject old timestamps (replays).
    """
    stamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            stamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if stamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_seconds:
        return False
    expected = compute_signature(secret, stamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


# --- endpoints -----------------------------------------------------------------------------


def _url_error(message: str) -> ServiceError:
    return ServiceError(
        422, "validation_error", f"invalid webhook url: {message}",
        fields=[{"field": "url", "message": message}],
    )  # fmt: skip


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http_localhost: bool) -> str:
    """The URL if it may receive events: HTTPS, or HTTP to loopback when the setting allows."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as exc:
        raise _url_error("not a valid URL") from exc
    if not host:
        raise _url_error("the URL has no host")
    if parts.username or parts.password:
        raise _url_error("credentials in the URL are not allowed; the signature authenticates")
    if parts.fragment:
        raise _url_error("the URL must not have a fragment")
    if parts.scheme == "https":
        return url.strip()
    if parts.scheme == "http" and allow_http_localhost and _is_loopback(host):
        return url.strip()
    if parts.scheme == "http" and _is_loopback(host):
        raise _url_error("http:// needs TRIAGE_WEBHOOK_ALLOW_HTTP_LOCALHOST=true (tests only)")
    raise _url_error("the URL must use https://")


def new_secret() -> str:
    """A fresh endpoint secret (shown to the admin once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def create_endpoint(
    session: Session,
    *,
    url: str,
    description: str | None,
    include_narrative: bool,
    event_types: list[str] | None,
    created_by: str | None,
) -> tuple[WebhookEndpoint, str]:
    """Store an endpoint; returns it with its secret (which the API shows only now)."""
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id="wh_" + secrets.token_hex(10),
        url=url,
        description=description,
        secret=secret,
        include_narrative=include_narrative,
        event_types=list(event_types or EVENT_TYPES),
        created_by=created_by,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Active endpoints, oldest first."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None))
    return list(session.scalars(query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    """An active endpoint, or 404."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise ServiceError(404, "not_found", f"no webhook endpoint {endpoint_id!r}")
    return endpoint


def delete_endpoint(session: Session, endpoint_id: str) -> None:
    """Stop sending to an endpoint; its pending deliveries are cancelled, history is kept."""
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.deleted_at = utcnow()
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
        .values(status="cancelled", lease_until=None, lease_token=None)
    )


def _deliveries(endpoint_id: str) -> Select[WebhookDelivery, WebhookEvent]:
    """An endpoint's deliveries joined with their events (callers filter and order)."""
    return (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
    )


def list_deliveries(
    session: Session, endpoint_id: str, *, status: str | None, limit: int
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """The endpoint's deliveries, newest first, with their events."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise ServiceError(404, "not_found", f"no webhook endpoint {endpoint_id!r}")
    query = _deliveries(endpoint_id).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status:
        query = query.where(WebhookDelivery.status == status)
    return [(row[0], row[1]) for row in session.execute(query)]


def redeliver(
    session: Session, endpoint_id: str, delivery_ids: list[int] | None
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """Queue an active endpoint's failed deliveries again (all of them, or those listed):
    pending, due now, with a fresh allowance of attempts; the last error stays until the next
    try. Deliveries that did not fail (delivered, pending, cancelled) are left alone."""
    get_endpoint(session, endpoint_id)
    query = (
        _deliveries(endpoint_id)
        .where(WebhookDelivery.status == "failed")
        .order_by(WebhookDelivery.id)
        .with_for_update(of=WebhookDelivery)
    )
    if delivery_ids is not None:
        query = query.where(WebhookDelivery.id.in_(delivery_ids))
    rows = [(row[0], row[1]) for row in session.execute(query)]
    now = utcnow()
    for delivery, _event in rows:
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.lease_until = None
        delivery.lease_token = None
    return rows


# --- the outbox ----------------------------------------------------------------------------


def without_note_fragments(value: Any) -> Any:
    """A copy without the phrases the classifier quoted from the note (evidence, negated)."""
    if isinstance(value, dict):
        return {
            k: without_note_fragments(v) for k, v in value.items() if k not in NOTE_FRAGMENT_KEYS
        }
    if isinstance(value, list):
        return [without_note_fragments(v) for v in value]
    return value


def _public_view(row: Recommendation) -> dict[str, Any]:
    view = to_response(row).model_dump(mode="json")
    view["explanation"] = without_note_fragments(view["explanation"])
    return view


def recommendation_event(row: Recommendation) -> tuple[str, dict[str, Any]]:
    """Event type and payload for a stored recommendation (nothing quoted from the note)."""
    kind = "recommendation.created" if row.call_version == 1 else "recommendation.updated"
    return kind, {"recommendation": _public_view(row)}


def decision_event(decision: Decision, row: Recommendation) -> tuple[str, dict[str, Any]]:
    """Event type and payload for a dispatcher decision (no free-text reason)."""
    out = decision_out(decision).model_dump(mode="json")
    out.pop("reason", None)
    out["has_reason"] = bool(decision.reason)
    payload = {"decision": out, "recommendation": _public_view(row)}
    return "decision.recorded", payload


def _new_events(session: Session) -> list[tuple[str, Recommendation, dict[str, Any]]]:
    events = []
    for obj in list(session.new):
        if isinstance(obj, Recommendation):
            kind, payload = recommendation_event(obj)
            events.append((kind, obj, payload))
        elif isinstance(obj, Decision):
            row = session.get(Recommendation, obj.recommendation_id)
            if row is not None:
                kind, payload = decision_event(obj, row)
                events.append((kind, row, payload))
    return events


class EndpointCache:
    """The active endpoints (id, event types) per database, kept for ``ttl`` seconds.

    The outbox needs them for every new recommendation; reading the table each time cost a
    query per triage (about 7% of one on SQLite, with no endpoint registered). An endpoint
    created or deleted through this process is seen by its next transaction (the cache is
    dropped when that commit lands); another worker sees it within ``ttl`` seconds. A
    deleted endpoint's late deliveries are cancelled by the delivery worker. Entries are
    per engine: a new engine (another database, or after ``dispose_engines``) reads again.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[Engine, tuple[float, int, _Endpoints]] = (
            weakref.WeakKeyDictionary()
        )
        self._generation = 0

    def get(self, conn: Connection) -> _Endpoints:
        """The active endpoints, read on ``conn`` when the cached copy is missing or old."""
        engine = conn.engine
        entry = self._entries.get(engine)
        now = time.monotonic()
        if entry is not None and now - entry[0] < self.ttl and entry[1] == self._generation:
            return entry[2]
        generation = self._generation
        rows = conn.execute(_ENDPOINTS_QUERY).all()
        endpoints = tuple((row.id, frozenset(row.event_types or EVENT_TYPES)) for row in rows)
        with self._lock:
            if generation == self._generation:  # no invalidation while we read
                self._entries[engine] = (now, generation, endpoints)
        return endpoints

    def invalidate(self) -> None:
        """Forget every cached list (an endpoint was created or deleted, or a write failed)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


_Endpoints = tuple[tuple[str, frozenset[str]], ...]
_ENDPOINTS_QUERY = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
    WebhookEndpoint.deleted_at.is_(None)
)
ENDPOINT_CACHE_SECONDS = 1.0
endpoint_cache = EndpointCache(ENDPOINT_CACHE_SECONDS)


def write_recommendation_outbox(session: Session, row: Recommendation) -> None:
    """Write the outbox event and deliveries for ``row``, stored by a Core insert on the
    session's connection: the same transaction, so the event exists exactly when the row does.

    (Rows added to the session as ORM objects get theirs from the ``after_flush`` hook.)
    """
    conn = session.connection()
    endpoints = endpoint_cache.get(conn)
    if endpoints:
        kind, payload = recommendation_event(row)
        _insert_event(session, conn, endpoints, kind, row, payload)


def _insert_event(
    session: Session,
    conn: Connection,
    endpoints: _Endpoints,
    kind: str,
    row: Recommendation,
    payload: dict[str, Any],
) -> None:
    targets = [endpoint_id for endpoint_id, kinds in endpoints if kind in kinds]
    if not targets:
        return
    now = utcnow()
    event_id = "evt_" + secrets.token_hex(12)
    conn.execute(
        insert(WebhookEvent),
        [{"id": event_id, "event_type": kind, "recommendation_id": row.id,
          "call_id": row.call_id, "payload": payload, "created_at": now}],
    )  # fmt: skip
    conn.execute(
        insert(WebhookDelivery),
        [{"event_id": event_id, "endpoint_id": target, "status": "pending", "attempts": 0,
          "next_attempt_at": now, "created_at": now} for target in targets],
    )  # fmt: skip
    session.info[_PENDING_FLAG] = True


def _write_outbox(session: Session, _flush_context: Any) -> None:
    """after_flush: write events and deliveries for new recommendations and decisions."""
    if any(isinstance(o, WebhookEndpoint) for o in session.new | session.dirty):
        session.info[_ENDPOINTS_CHANGED] = True
    if not any(isinstance(o, Recommendation | Decision) for o in session.new):
        return
    conn = session.connection()
    endpoints = endpoint_cache.get(conn)
    if not endpoints:
        return
    for kind, row, payload in _new_events(session):
        _insert_event(session, conn, endpoints, kind, row, payload)


def _after_commit(session: Session) -> None:
    if session.info.pop(_ENDPOINTS_CHANGED, False):
        endpoint_cache.invalidate()
    if session.info.pop(_PENDING_FLAG, False):
        from service.integrations.delivery import wake_workers

        wake_workers()


def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING_FLAG, None)
    session.info.pop(_ENDPOINTS_CHANGED, None)


def install_outbox_hook() -> None:
    """Register the outbox hooks on every ORM session of this process (idempotent)."""
    if not event.contains(Session, "after_flush", _write_outbox):
        event.listen(Session, "after_flush", _write_outbox)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


install_outbox_hook()


def delivery_view(delivery: WebhookDelivery, evt: WebhookEvent) -> dict[str, Any]:
    """The API view of one delivery."""

    def _t(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    return {
        "id": delivery.id,
        "event_id": evt.id,
        "event_type": evt.event_type,
        "recommendation_id": evt.recommendation_id,
        "call_id": evt.call_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": _t(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "delivered_at": _t(delivery.delivered_at),
        "created_at": _t(delivery.created_at),
    }
