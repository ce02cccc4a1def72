"""The delivery worker's claims: disjoint across workers, taken over when a lease expires."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from service import db
from service.integrations.delivery import DeliveryWorker, backoff_seconds, event_body
from service.integrations.settings import IntegrationSettings
from service.integrations.webhooks import create_endpoint
from service.models import Recommendation, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from tests.support.rows import routine_row


def _recommendation(call_id: str) -> Recommendation:
    return routine_row(call_id, id=f"rec_{call_id}", call_version=1)


def _queue(count: int) -> set[int]:
    """Store ``count`` recommendations with one endpoint registered: the outbox fills."""
    with db.session_scope(write=True) as session:
        create_endpoint(
            session,
            url="https://cad.example.gov/h",
            description=None,
            include_narrative=False,
            event_types=None,
            created_by=None,
        )
    for i in range(count):
        with db.session_scope(write=True) as session:
            session.add(_recommendation(f"C-{i}"))
    with db.session_scope() as session:
        return set(session.scalars(select(WebhookDelivery.id)))


def _worker(url: str, **overrides) -> DeliveryWorker:
    return DeliveryWorker(IntegrationSettings(webhook_batch_size=3, **overrides), url)


def test_every_recommendation_stored_with_an_endpoint_queues_one_delivery(configured):
    ids = _queue(4)
    assert len(ids) == 4
    with db.session_scope() as session:
        kinds = set(session.scalars(select(WebhookEvent.event_type)))
    assert kinds == {"recommendation.created"}


def test_concurrent_workers_never_claim_the_same_delivery(configured):
    ids = _queue(24)
    workers = [_worker(configured) for _ in range(4)]
    claimed: list[list[int]] = [[] for _ in workers]
    barrier = threading.Barrier(len(workers))

    def run(index: int) -> None:
        barrier.wait()
        for _round in range(20):  # bounded: a broken claim must fail, not spin
            batch = workers[index].claim(f"token-{index}")
            if not batch:
                return
            claimed[index].extend(batch)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [i for batch in claimed for i in batch]
    assert sorted(everything) == sorted(ids)  # each claimed exactly once
    with db.session_scope() as session:
        tokens = dict(
            session.execute(select(WebhookDelivery.id, WebhookDelivery.lease_token)).all()
        )
    for index, batch in enumerate(claimed):
        assert all(tokens[i] == f"token-{index}" for i in batch)
    for worker in workers:
        worker.stop()


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_record(configured):
    ids = _queue(2)
    crashed, rescuer = _worker(configured), _worker(configured)
    assert sorted(crashed.claim("dead")) == sorted(ids)
    assert rescuer.claim("alive") == []  # leased: nobody else takes them
    with db.session_scope(write=True) as session:
        session.execute(update(WebhookDelivery).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert sorted(rescuer.claim("alive")) == sorted(ids)
    # The first holder wakes up late: its lease is gone, so it neither sends nor records.
    crashed.deliver(min(ids), "dead")
    with db.session_scope() as session:
        row = session.get(WebhookDelivery, min(ids))
        assert row.attempts == 0 and row.lease_token == "alive" and row.status == "pending"
    crashed.stop()
    rescuer.stop()


def test_unreachable_endpoint_is_retried_later_with_backoff(configured):
    (delivery_id,) = _queue(1)
    with db.session_scope(write=True) as session:
        session.execute(update(WebhookEndpoint).values(url="https://127.0.0.1:9/closed"))
    worker = _worker(configured, webhook_backoff_seconds=30, webhook_timeout_seconds=2)
    assert worker.run_once() == 1
    with db.session_scope() as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row.status == "pending" and row.attempts == 1 and row.lease_token is None
        assert row.last_status_code is None and row.last_error
        assert db.is_sqlite(configured) or row.next_attempt_at.tzinfo is not None
    assert worker.run_once() == 0  # not due yet
    worker.stop()


def test_backoff_doubles_and_is_capped():
    import random

    rng = random.Random(1)
    delays = [backoff_seconds(n, 5, 3600, rng) for n in range(1, 12)]
    assert 4 <= delays[0] <= 6 and 8 <= delays[1] <= 12 and 16 <= delays[2] <= 24
    assert delays[-1] == 3600


def test_event_body_is_canonical_json_without_the_narrative(configured):
    _queue(1)
    with db.session_scope() as session:
        event = session.scalars(select(WebhookEvent)).one()
        endpoint = session.scalars(select(WebhookEndpoint)).one()
        body = event_body(session, event, endpoint)
        endpoint.include_narrative = True
        with_note = event_body(session, event, endpoint)
    assert body.startswith(b'{"created_at":') and b"LOUD MUSIC" not in body
    assert b'"narrative":"LOUD MUSIC APT 4"' in with_note


def test_finished_deliveries_past_retention_are_pruned(configured):
    ids = _queue(3)
    old = utcnow() - timedelta(days=31)
    first, second, third = sorted(ids)
    with db.session_scope(write=True) as session:
        session.execute(update(WebhookDelivery).values(created_at=old))
        session.execute(update(WebhookEvent).values(created_at=old))
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == first).values(status="delivered")
        )
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == second).values(status="failed")
        )
    worker = _worker(configured)
    assert worker.prune() == 2
    with db.session_scope() as session:
        assert list(session.scalars(select(WebhookDelivery.id))) == [third]  # pending: kept
        assert len(list(session.scalars(select(WebhookEvent.id)))) == 1
    worker.stop()
