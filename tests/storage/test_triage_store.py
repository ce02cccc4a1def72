"""The triage write path: Core insert with its outbox rows in one transaction, the webhook
endpoint cache, the per-request key read and the PostgreSQL checkout probe."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from service import db
from service.errors import ServiceError
from service.integrations import webhooks
from service.keys.service import create_key, revoke_key, verify_secret_fast
from service.models import Recommendation, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from service.resilience.outage import is_database_unavailable
from service.triage.service import CallContext, store_recommendation
from tests.support.rows import routine_row

CONTEXT = CallContext(api_key_id=None, request_id="req-1")


class Boom(Exception):
    """Raised after the insert, inside the transaction."""


def _candidate(call_id: str, narrative: str = "LOUD MUSIC") -> Recommendation:
    return routine_row(call_id, narrative=narrative)


def _count(url: str, model: type) -> int:
    with db.session_scope(url=url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _add_endpoint(url: str) -> str:
    with db.session_scope(write=True, url=url) as session:
        endpoint, _secret = webhooks.create_endpoint(
            session,
            url="https://hooks.example/in",
            description=None,
            include_narrative=False,
            event_types=None,
            created_by=None,
        )
        return endpoint.id


def test_the_outbox_event_is_committed_with_the_recommendation(configured: str) -> None:
    endpoint_id = _add_endpoint(configured)
    row = db.write_transaction(lambda s: store_recommendation(s, _candidate("C-1"), CONTEXT))
    with db.session_scope(url=configured) as session:
        stored = session.get(Recommendation, row.id)
        assert stored is not None and stored.created_at is not None
        assert stored.decision_state == "pending" and stored.call_version == 1
        event = session.scalars(select(WebhookEvent)).one()
        assert (event.recommendation_id, event.event_type) == (row.id, "recommendation.created")
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert (delivery.event_id, delivery.endpoint_id) == (event.id, endpoint_id)


def test_a_failure_after_the_insert_leaves_neither_row_nor_event(configured: str) -> None:
    _add_endpoint(configured)

    def store_then_fail(session):  # type: ignore[no-untyped-def]
        store_recommendation(session, _candidate("C-2"), CONTEXT)
        raise Boom

    with pytest.raises(Boom):
        db.write_transaction(store_then_fail)
    assert _count(configured, Recommendation) == 0
    assert _count(configured, WebhookEvent) == 0
    assert _count(configured, WebhookDelivery) == 0


def test_versions_retries_and_idempotency_in_one_lookup(configured: str) -> None:
    keyed = CallContext(api_key_id=None, request_id="r", idempotency_key="idem-1")
    first = _candidate("C-3")
    first.idempotency_key = "idem-1"
    stored = db.write_transaction(lambda s: store_recommendation(s, first, keyed))
    # The same key and body: the stored answer, no second row.
    retry = _candidate("C-3")
    retry.idempotency_key = "idem-1"
    retry.request_sha256 = first.request_sha256
    again = db.write_transaction(lambda s: store_recommendation(s, retry, keyed))
    assert again.id == stored.id
    # The same note again without a key: the latest version answers.
    same = _candidate("C-3")
    same.narrative_sha256 = first.narrative_sha256
    assert db.write_transaction(lambda s: store_recommendation(s, same, CONTEXT)).id == stored.id
    # A new note: version 2, linked to version 1.
    second = db.write_transaction(lambda s: store_recommendation(s, _candidate("C-3"), CONTEXT))
    assert (second.call_version, second.previous_id) == (2, stored.id)
    assert second.changes is not None and second.changes["previous_recommendation_id"] == stored.id
    # The same key with another body: 409.
    reused = _candidate("C-9")
    reused.idempotency_key = "idem-1"
    with pytest.raises(ServiceError) as conflict:
        db.write_transaction(lambda s: store_recommendation(s, reused, keyed))
    assert conflict.value.status == 409
    assert _count(configured, Recommendation) == 2


def test_the_endpoint_cache_sees_another_workers_endpoint_within_its_ttl(
    configured: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(webhooks.time, "monotonic", lambda: clock[0])
    db.write_transaction(lambda s: store_recommendation(s, _candidate("C-4"), CONTEXT))
    # Another worker registers an endpoint: nothing tells this process's cache.
    other = create_engine(configured)
    with other.begin() as conn:
        conn.execute(
            WebhookEndpoint.__table__.insert().values(
                id="wh_other", url="https://hooks.example/x", secret="s", include_narrative=False,
                event_types=list(webhooks.EVENT_TYPES), created_at=utcnow(),
            )
        )  # fmt: skip
    other.dispose()
    clock[0] += webhooks.endpoint_cache.ttl + 0.01
    row = db.write_transaction(lambda s: store_recommendation(s, _candidate("C-5"), CONTEXT))
    with db.session_scope(url=configured) as session:
        event = session.scalars(select(WebhookEvent)).one()
        assert event.recommendation_id == row.id
        assert session.scalars(select(WebhookDelivery.endpoint_id)).all() == ["wh_other"]


def test_an_endpoint_deleted_here_gets_no_further_events(configured: str) -> None:
    endpoint_id = _add_endpoint(configured)
    db.write_transaction(lambda s: store_recommendation(s, _candidate("C-6"), CONTEXT))
    with db.session_scope(write=True, url=configured) as session:
        webhooks.delete_endpoint(session, endpoint_id)
    db.write_transaction(lambda s: store_recommendation(s, _candidate("C-7"), CONTEXT))
    assert _count(configured, WebhookEvent) == 1


def test_the_fast_key_check_refuses_a_revoked_key_at_once(configured: str) -> None:
    with db.session_scope(write=True) as session:
        key, secret = create_key(session, role="cad", name="t")
        key_id = key.id
    principal = verify_secret_fast(secret)
    assert principal is not None and (principal.key_id, principal.role) == (key_id, "cad")
    assert verify_secret_fast(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    with db.session_scope(write=True) as session:
        revoke_key(session, key_id)
    assert verify_secret_fast(secret) is None


def test_the_fast_read_wraps_an_unreachable_database_as_sqlalchemy_does() -> None:
    with pytest.raises(OperationalError) as failure:
        db.fetch_one("SELECT 1", (), url="postgresql+psycopg://root@127.0.0.1:9/none")
    assert is_database_unavailable(failure.value)
    db.dispose_engines()


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_at_checkout(postgres_url: str) -> None:
    db.upgrade_schema(postgres_url)
    with db.get_engine(postgres_url).connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(db.make_url(postgres_url).set(query={}))
    with admin.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    gone = "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"
    for _ in range(500):  # wait until the backend has really ended
        with admin.connect() as conn:
            if conn.execute(text(gone), {"pid": backend}).scalar() == 0:
                break
        time.sleep(0.01)
    admin.dispose()
    # The pooled connection is dead; the next checkout notices and connects again.
    assert db.fetch_one("SELECT count(*) FROM api_keys", (), url=postgres_url) == (0,)
    with db.get_engine(postgres_url).connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != backend


def test_a_batch_with_a_failing_job_is_run_again_with_savepoints(sqlite_url: str) -> None:
    """Group commit runs a batch in one transaction; when a job raises, nothing of that attempt
    is kept and the batch runs again, each job in its own SAVEPOINT: the others are stored
    once, the failing job alone gets its error."""
    db.upgrade_schema(sqlite_url)
    runs: list[str] = []

    def job(call_id: str, fail: bool = False):  # type: ignore[no-untyped-def]
        def work(session):  # type: ignore[no-untyped-def]
            runs.append(call_id)
            row = store_recommendation(session, _candidate(call_id), CONTEXT)
            if fail:
                raise Boom
            return row

        return db._Job(work)

    batch = [job("B-1"), job("B-2", fail=True), job("B-3")]
    db._WriteGroup(sqlite_url)._commit(batch)
    assert runs == ["B-1", "B-2", "B-1", "B-2", "B-3"]  # all together, then one by one
    assert all(j.finished for j in batch)
    assert isinstance(batch[1].error, Boom) and batch[1].value is None
    assert batch[0].error is None and batch[2].error is None
    with db.session_scope(url=sqlite_url) as session:
        stored = session.scalars(select(Recommendation.call_id).order_by("call_id")).all()
    assert stored == ["B-1", "B-3"]
    assert {batch[0].value.call_version, batch[2].value.call_version} == {1}
    db.dispose_engines()
