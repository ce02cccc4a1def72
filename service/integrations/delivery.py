"""The webhook delivery worker: one background thread per serving process.

Claiming is safe with several processes and replicas: on PostgreSQL due rows are locked with
``FOR UPDATE SKIP LOCKED`` and leased; on SQLite a single ``UPDATE ... RETURNING`` inside the
write lock leases them. Only the holder of a lease records the result, so a delivery whose
process died is retried by another once the lease expires (at least once, never lost).
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from prometheus_client import Counter
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from service import __version__
from service.db import is_sqlite, session_scope
from service.integrations.settings import IntegrationSettings
from service.integrations.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    signature_header,
    signing_secrets,
)
from service.models import Decision, Recommendation, WebhookDelivery, WebhookEndpoint, utcnow
from service.models import WebhookEvent as EventRow
from service.recommendations.service import as_utc

log = structlog.get_logger("service.integrations.delivery")
ATTEMPTS = Counter(
    "triage_webhook_attempts_total", "Webhook delivery attempts by result.", ["result"]
)
_WAKE = threading.Event()
_ERROR_LIMIT = 500
_PRUNE_EVERY_SECONDS = 3600.0
_LINGER_SECONDS = 0.05
FINISHED = ("delivered", "failed", "cancelled")


def wake_workers() -> None:
    """Tell this process's workers that new deliveries were committed."""
    _WAKE.set()


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Delay before the next try: ``base * 2**(attempts-1)``, jittered ±20%, at most ``cap``."""
    delay = base * (2 ** max(0, attempts - 1)) * rng.uniform(0.8, 1.2)
    return min(cap, delay)


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt produced."""

    status_code: int | None
    error: str | None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.error is None


@dataclass(frozen=True)
class _Prepared:
    endpoint_id: str
    event_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    attempt: int


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def event_body(session: Session, evt: EventRow, endpoint: WebhookEndpoint) -> bytes:
    """The JSON body sent for ``evt``; the narrative only when the endpoint opted in."""
    data: dict[str, Any] = json.loads(json.dumps(evt.payload))
    if endpoint.include_narrative:
        row = session.get(Recommendation, evt.recommendation_id)
        data["narrative"] = row.narrative if row is not None else None
        if row is not None and isinstance(data.get("recommendation"), dict):
            data["recommendation"]["explanation"] = row.explanation  # with the quoted phrases
        decision = data.get("decision")
        if isinstance(decision, dict) and decision.get("id") is not None:
            stored = session.get(Decision, decision["id"])
            decision["reason"] = stored.reason if stored is not None else None
    body = {
        "id": evt.id,
        "type": evt.event_type,
        "created_at": as_utc(evt.created_at).isoformat(),
        "data": data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class DeliveryWorker:
    """Claims due deliveries, POSTs them signed, records results; one thread per process."""

    def __init__(self, settings: IntegrationSettings, database_url: str) -> None:
        self.settings = settings
        self.database_url = database_url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()  # noqa: S311 - jitter, not security
        self._client = httpx.Client(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            headers={"User-Agent": f"call-triage-webhooks/{__version__}"},
        )

    def start(self) -> None:
        """Run in a daemon thread until stop()."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop now: an attempt in flight is aborted; its lease expires and it is retried."""
        self._stop.set()
        _WAKE.set()
        self._client.close()  # ends a slow POST instead of waiting for its timeout
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        next_prune = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + _PRUNE_EVERY_SECONDS
                    self.prune()
                handled = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad moment
                log.warning("webhook_worker_error", error=type(exc).__name__)
                handled = 0
            if handled < self.settings.webhook_batch_size:
                woken = _WAKE.wait(self.settings.webhook_poll_seconds)
                _WAKE.clear()
                if woken:  # let a burst of commits gather into one batch
                    self._stop.wait(min(_LINGER_SECONDS, self.settings.webhook_poll_seconds))

    def prune(self) -> int:
        """Delete finished deliveries (and their events) older than the retention period."""
        days = self.settings.webhook_retention_days
        if days <= 0:
            return 0
        cutoff = utcnow() - timedelta(days=days)
        with session_scope(write=True, url=self.database_url) as session:
            result = session.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.status.in_(FINISHED), WebhookDelivery.created_at < cutoff
                )
            )
            removed = getattr(result, "rowcount", 0)
            orphan = ~exists().where(WebhookDelivery.event_id == EventRow.id)
            session.execute(delete(EventRow).where(EventRow.created_at < cutoff, orphan))
        return int(removed or 0)

    def run_once(self) -> int:
        """Claim a batch of due deliveries, attempt each, record the results in one transaction.

        Returns how many were claimed. A crash before the results are recorded leaves the
        leases to expire: those deliveries are attempted again (at least once).
        """
        token = secrets.token_hex(8)
        claimed = self.claim(token)
        results = []
        for delivery_id in claimed:
            if self._stop.is_set():
                break
            outcome = self.attempt(delivery_id, token)
            if outcome is not None:
                results.append((delivery_id, outcome))
        if results:
            self._record(token, results)
        return len(claimed)

    def _lease(self) -> timedelta:
        per_batch = self.settings.webhook_timeout_seconds * self.settings.webhook_batch_size
        return timedelta(seconds=self.settings.webhook_lease_seconds + per_batch)

    def claim(self, token: str) -> list[int]:
        """Lease up to a batch of due deliveries to ``token``; returns their ids."""
        now = utcnow()
        due = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(self.settings.webhook_batch_size)
        )
        lease = {"lease_until": now + self._lease(), "lease_token": token}
        with session_scope(write=True, url=self.database_url) as session:
            if is_sqlite(self.database_url):
                stmt = (
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(due.scalar_subquery()))
                    .values(**lease)
                    .returning(WebhookDelivery.id)
                )
                return sorted(session.scalars(stmt))
            ids = list(session.scalars(due.with_for_update(skip_locked=True)))
            if ids:
                session.execute(
                    update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(**lease)
                )
            return ids

    def _prepare(self, delivery_id: int, token: str) -> _Prepared | None:
        """The signed request for a leased delivery; cancels it if its endpoint is gone."""
        with session_scope(url=self.database_url) as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.lease_token != token:
                return None
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            evt = session.get(EventRow, delivery.event_id)
            if endpoint is not None and evt is not None and endpoint.deleted_at is None:
                body = event_body(session, evt, endpoint)
                attempt = delivery.attempts + 1
                current, *previous = signing_secrets(endpoint)
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: signature_header(current, body, also=previous),
                    EVENT_ID_HEADER: evt.id,
                    "Triage-Event-Type": evt.event_type,
                    "Triage-Delivery-Attempt": str(attempt),
                }
                return _Prepared(endpoint.id, evt.id, endpoint.url, body, headers, attempt)
        self._cancel(delivery_id, token)
        return None

    def attempt(self, delivery_id: int, token: str) -> Outcome | None:
        """POST one leased delivery; its outcome (None when the lease or endpoint is gone)."""
        prepared = self._prepare(delivery_id, token)
        if prepared is None:
            return None
        outcome = self._post(prepared.url, prepared.body, prepared.headers)
        ATTEMPTS.labels(result="delivered" if outcome.ok else "failed").inc()
        log.info(
            "webhook_attempt",
            endpoint_id=prepared.endpoint_id,
            event_id=prepared.event_id,
            attempt=prepared.attempt,
            status_code=outcome.status_code,
            error=outcome.error,
        )
        return outcome

    def deliver(self, delivery_id: int, token: str) -> None:
        """Attempt one leased delivery and record its outcome."""
        outcome = self.attempt(delivery_id, token)
        if outcome is not None:
            self._record(token, [(delivery_id, outcome)])

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        try:
            with self._client.stream("POST", url, content=body, headers=headers) as response:
                code = response.status_code
                if 200 <= code < 300:
                    return Outcome(code, None)
                return Outcome(code, f"HTTP {code}", _retry_after(response))
        except httpx.TimeoutException:
            return Outcome(None, "timeout")
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT])

    def _cancel(self, delivery_id: int, token: str) -> None:
        with session_scope(write=True, url=self.database_url) as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.lease_token == token)
                .values(status="cancelled", lease_until=None, lease_token=None)
            )

    def _record(self, token: str, results: list[tuple[int, Outcome]]) -> None:
        """Store the outcomes of ``token``'s attempts (only rows whose lease it still holds)."""
        now = utcnow()
        with session_scope(write=True, url=self.database_url) as session:
            for delivery_id, outcome in results:
                delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
                if delivery is None or delivery.lease_token != token:
                    continue  # the lease expired and another worker took over
                self._apply(delivery, outcome, now)

    def _apply(self, delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> None:
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.lease_until = None
        delivery.lease_token = None
        if outcome.ok:
            delivery.status = "delivered"
            delivery.delivered_at = now
        elif delivery.attempts >= self.settings.webhook_max_attempts:
            delivery.status = "failed"
        else:
            delay = backoff_seconds(
                delivery.attempts,
                self.settings.webhook_backoff_seconds,
                self.settings.webhook_backoff_max_seconds,
                self._rng,
            )
            delay = max(delay, min(outcome.retry_after or 0, 3600))
            delivery.next_attempt_at = now + timedelta(seconds=delay)
