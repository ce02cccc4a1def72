"""Signed webhooks through the real app, a real receiving server on 127.0.0.1 and the real DB."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from service import db
from service.integrations.webhooks import signature_header, verify_signature
from service.models import Decision, Recommendation, WebhookDelivery, WebhookEvent
from tests.conftest import auth
from tests.integrations.receiver import running_receiver

NOTE = "VERBAL DISPUTE BETWEEN NEIGHBORS OVER PARKING SPOT, RP ADVISES JOHN SMITH AT 12 ELM ST"
UPDATE = NOTE + "\nUPDT: RP NOW STATES NEIGHBOR WENT INSIDE AND CAME BACK WITH A HANDGUN"


@pytest.fixture(autouse=True)
def fast_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Allow http://127.0.0.1 receivers; retry at once; poll often (set before the app starts)."""
    monkeypatch.setenv("TRIAGE_WEBHOOK_ALLOW_HTTP_LOCALHOST", "true")
    monkeypatch.setenv("TRIAGE_WEBHOOK_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("TRIAGE_WEBHOOK_POLL_SECONDS", "0.05")


def _register(client, admin: str, url: str, **extra) -> dict:
    response = client.post("/v1/webhooks", json={"url": url, **extra}, headers=auth(admin))
    assert response.status_code == 201, response.text
    return response.json()


def _deliveries(client, admin: str, webhook_id: str) -> list[dict]:
    response = client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=auth(admin))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _wait_deliveries(client, admin, webhook_id, check, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        items = _deliveries(client, admin, webhook_id)
        if check(items) or time.monotonic() > deadline:
            return items
        time.sleep(0.05)


def test_every_version_and_decision_is_pushed_signed_and_retried(client, make_key):
    admin, cad, dispatcher = make_key("admin"), make_key("cad"), make_key("dispatcher")
    with running_receiver(fail_first=True) as rx:
        hook = _register(client, admin, rx.url, description="CAD bridge")
        rx.secret = hook["secret"]
        assert hook["secret"].startswith("whsec_")
        first = client.post(
            "/v1/triage", json={"call_id": "W-1", "narrative": NOTE}, headers=auth(cad)
        ).json()
        second = client.post(
            "/v1/triage", json={"call_id": "W-1", "narrative": UPDATE}, headers=auth(cad)
        ).json()
        decision = {
            "action": "accepted",
            "response_mode": second["response_mode"],
            "backup_level": second["backup_level"],
        }
        assert (
            client.post(
                f"/v1/recommendations/{second['recommendation_id']}/decision",
                json=decision,
                headers=auth(dispatcher),
            ).status_code
            == 201
        )
        rx.wait_for(lambda r: len(r.events) == 3)
        items = _wait_deliveries(
            client,
            admin,
            hook["id"],
            lambda xs: len(xs) == 3 and all(x["status"] == "delivered" for x in xs),
        )

    assert rx.bad_signatures == 0
    (created,) = rx.of_type("recommendation.created")
    (updated,) = rx.of_type("recommendation.updated")
    (decided,) = rx.of_type("decision.recorded")
    assert created["data"]["recommendation"]["recommendation_id"] == first["recommendation_id"]
    changes = updated["data"]["recommendation"]["changes"]
    assert changes["tags_added"] == ["weapon"] and changes["alert"] is True
    assert changes["previous_recommendation_id"] == first["recommendation_id"]
    assert decided["data"]["decision"]["action"] == "accepted"
    assert decided["data"]["recommendation"]["decision_state"] == "accepted"
    # The first attempt of each event failed (500) and was retried with the same event id.
    for event_id in rx.events:
        assert [code for eid, code in rx.attempts if eid == event_id] == [500, 200]
    assert all(x["attempts"] == 2 and x["last_status_code"] == 200 for x in items)
    assert {x["event_type"] for x in items} == {
        "recommendation.created",
        "recommendation.updated",
        "decision.recorded",
    }
    # Privacy: no endpoint opted in, so no body carries the note or its parts.
    for body in rx.raw_bodies:
        assert b"narrative" not in body and b"JOHN SMITH" not in body and b"ELM ST" not in body
        assert b'"evidence"' not in body and b'"negated"' not in body  # quoted from the note
        assert b"HANDGUN" not in body  # the evidence phrase as written in the note


def test_the_narrative_is_sent_only_to_an_endpoint_that_opted_in(client, make_key):
    admin, cad = make_key("admin"), make_key("cad")
    with running_receiver(fail_first=False) as plain, running_receiver(fail_first=False) as full:
        plain.secret = _register(client, admin, plain.url)["secret"]
        full.secret = _register(
            client, admin, full.url, include_narrative=True, event_types=["recommendation.created"]
        )["secret"]
        client.post("/v1/triage", json={"call_id": "W-2", "narrative": NOTE}, headers=auth(cad))
        plain.wait_for(lambda r: len(r.events) == 1)
        full.wait_for(lambda r: len(r.events) == 1)
    (plain_event,) = plain.events.values()
    (full_event,) = full.events.values()
    assert "narrative" not in plain_event["data"]
    assert "evidence" not in json.dumps(plain_event)
    assert full_event["data"]["narrative"] == NOTE
    with db.session_scope() as session:
        stored = session.scalars(select(Recommendation)).one().explanation
    assert full_event["data"]["recommendation"]["explanation"] == stored
    assert "evidence" in json.dumps(stored)


def test_the_outbox_row_commits_with_the_recommendation_and_rolls_back_with_it(
    client, make_key, monkeypatch
):
    admin, cad = make_key("admin"), make_key("cad")
    client.app.state.webhook_worker.stop()  # keep deliveries pending to inspect them
    hook = _register(client, admin, "https://cad.example.gov/hooks")
    rec = client.post(
        "/v1/triage", json={"call_id": "W-3", "narrative": NOTE}, headers=auth(cad)
    ).json()
    with db.session_scope() as session:
        event = session.scalar(
            select(WebhookEvent).where(WebhookEvent.recommendation_id == rec["recommendation_id"])
        )
        assert event is not None and event.event_type == "recommendation.created"
        assert "narrative" not in str(event.payload) and "JOHN SMITH" not in str(event.payload)
        delivery = session.scalar(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)
        )
        assert delivery.endpoint_id == hook["id"] and delivery.status == "pending"
    # A transaction that fails after the flush leaves no event behind.
    with pytest.raises(RuntimeError), db.session_scope(write=True) as session:
        session.add(
            Decision(
                recommendation_id=rec["recommendation_id"],
                action="accepted",
                response_mode=rec["response_mode"],
                backup_level=rec["backup_level"],
            )
        )
        session.flush()
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 2
        raise RuntimeError("abort after the flush")
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_a_delivery_that_keeps_failing_stops_after_max_attempts(client, make_key, monkeypatch):
    admin, cad = make_key("admin"), make_key("cad")
    worker = client.app.state.webhook_worker
    monkeypatch.setattr(worker.settings, "webhook_max_attempts", 3)
    with running_receiver(always_fail=True) as rx:
        hook = _register(client, admin, rx.url)
        rx.secret = hook["secret"]
        client.post("/v1/triage", json={"call_id": "W-4", "narrative": NOTE}, headers=auth(cad))
        items = _wait_deliveries(
            client, admin, hook["id"], lambda xs: bool(xs) and xs[0]["status"] == "failed"
        )
    (item,) = items
    assert item["status"] == "failed" and item["attempts"] == 3
    assert item["last_status_code"] == 500 and item["last_error"] == "HTTP 500"
    assert [code for _eid, code in rx.attempts] == [500, 500, 500]
    failed = client.get(f"/v1/webhooks/{hook['id']}/deliveries?status=failed", headers=auth(admin))
    assert len(failed.json()["items"]) == 1


def test_failed_deliveries_can_be_queued_again_once_the_receiver_is_back(
    client, make_key, monkeypatch
):
    """A receiver down longer than the retries last: its failed deliveries are redelivered on
    an admin's request (all, or the listed ones), signed as before, and nothing else moves."""
    admin, cad = make_key("admin"), make_key("cad")
    worker = client.app.state.webhook_worker
    monkeypatch.setattr(worker.settings, "webhook_max_attempts", 2)
    with running_receiver(always_fail=True) as rx:
        hook = _register(client, admin, rx.url)
        rx.secret = hook["secret"]
        for call_id in ("W-R1", "W-R2"):
            body = {"call_id": call_id, "narrative": NOTE}
            assert client.post("/v1/triage", json=body, headers=auth(cad)).status_code == 200
        failed = _wait_deliveries(
            client, admin, hook["id"],
            lambda xs: len(xs) == 2 and all(x["status"] == "failed" for x in xs),
        )  # fmt: skip
        assert [x["status"] for x in failed] == ["failed", "failed"]
        url = f"/v1/webhooks/{hook['id']}/deliveries/redeliver"
        rx.always_fail, rx.fail_first = False, False  # the receiver is back
        first = min(x["id"] for x in failed)
        one = client.post(url, json={"delivery_ids": [first]}, headers=auth(admin))
        assert one.status_code == 200, one.text
        assert [(x["id"], x["status"], x["attempts"]) for x in one.json()["items"]] == [
            (first, "pending", 0)
        ]
        rx.wait_for(lambda r: len(r.events) == 1)
        items = _wait_deliveries(
            client, admin, hook["id"],
            lambda xs: {x["id"]: x["status"] for x in xs}[first] == "delivered",
        )  # fmt: skip
        statuses = {x["id"]: (x["status"], x["attempts"]) for x in items}
        assert statuses[first] == ("delivered", 1)
        assert [s for i, s in statuses.items() if i != first] == [("failed", 2)]
        rest = client.post(url, headers=auth(admin))  # no body: every failed one
        assert [x["status"] for x in rest.json()["items"]] == ["pending"]
        rx.wait_for(lambda r: len(r.events) == 2)
        again = client.post(url, headers=auth(admin))
        assert again.status_code == 200 and again.json()["items"] == []  # none failed now
    assert rx.bad_signatures == 0
    assert client.post(url, headers=auth(cad)).status_code == 403
    missing = client.post("/v1/webhooks/wh_missing/deliveries/redeliver", headers=auth(admin))
    assert missing.status_code in (404, 422)


def test_a_rotated_secret_signs_at_once_and_the_old_one_only_during_the_overlap(client, make_key):
    """Rotation gives a new secret once; during the overlap a receiver still holding the old
    secret verifies every event too (a second v1), after it only the new one works."""
    admin, cad = make_key("admin"), make_key("cad")
    with running_receiver(fail_first=False) as rx:
        hook = _register(client, admin, rx.url)
        old = hook["secret"]
        url = f"/v1/webhooks/{hook['id']}/rotate-secret"
        rotated = client.post(url, json={"overlap_hours": 1}, headers=auth(admin))
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != old and rotated.json()["id"] == hook["id"]
        assert "secret" not in client.get(f"/v1/webhooks/{hook['id']}", headers=auth(admin)).json()
        rx.secret = old  # the receiver has not switched yet: still verifies
        client.post("/v1/triage", json={"call_id": "W-S1", "narrative": NOTE}, headers=auth(cad))
        rx.wait_for(lambda r: len(r.events) == 1)
        header, body = rx.signed[-1]
        assert header.count("v1=") == 2
        assert verify_signature(new, header, body) and verify_signature(old, header, body)
        # Overlap 0: the previous secret stops signing at once.
        again = client.post(url, json={"overlap_hours": 0}, headers=auth(admin)).json()["secret"]
        rx.secret = again
        client.post("/v1/triage", json={"call_id": "W-S2", "narrative": NOTE}, headers=auth(cad))
        rx.wait_for(lambda r: len(r.events) == 2)
        header, body = rx.signed[-1]
        assert header.count("v1=") == 1 and verify_signature(again, header, body)
        assert not verify_signature(new, header, body) and not verify_signature(old, header, body)
    assert rx.bad_signatures == 0
    assert client.post(url, headers=auth(cad)).status_code == 403
    too_long = client.post(url, json={"overlap_hours": 500}, headers=auth(admin))
    assert too_long.status_code == 422


def test_the_previous_secret_stops_signing_when_its_overlap_ends():
    from datetime import UTC, datetime, timedelta

    from service.integrations.webhooks import signing_secrets
    from service.models import WebhookEndpoint

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    endpoint = WebhookEndpoint(
        secret="new", previous_secret="old", previous_secret_until=now + timedelta(hours=1)
    )
    assert signing_secrets(endpoint, now) == ["new", "old"]
    assert signing_secrets(endpoint, now + timedelta(hours=1)) == ["new"]
    endpoint.previous_secret_until = (now + timedelta(minutes=5)).replace(tzinfo=None)  # SQLite
    assert signing_secrets(endpoint, now) == ["new", "old"]


def test_deleting_an_endpoint_cancels_its_pending_deliveries(client, make_key):
    admin, cad = make_key("admin"), make_key("cad")
    client.app.state.webhook_worker.stop()
    hook = _register(client, admin, "https://cad.example.gov/hooks")
    client.post("/v1/triage", json={"call_id": "W-5", "narrative": NOTE}, headers=auth(cad))
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=auth(admin)).status_code == 204
    assert client.get("/v1/webhooks", headers=auth(admin)).json()["items"] == []
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=auth(admin)).status_code == 404
    (item,) = _deliveries(client, admin, hook["id"])
    assert item["status"] == "cancelled"
    # Later recommendations are not queued for it.
    client.post("/v1/triage", json={"call_id": "W-6", "narrative": NOTE}, headers=auth(cad))
    assert len(_deliveries(client, admin, hook["id"])) == 1


def test_registration_rules_and_roles(client, make_key, monkeypatch):
    admin, cad = make_key("admin"), make_key("cad")
    created = _register(client, admin, "https://cad.example.gov/hooks?agency=1")
    listed = client.get("/v1/webhooks", headers=auth(admin)).json()["items"]
    assert [h["id"] for h in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)
    assert listed[0]["event_types"] == [
        "recommendation.created",
        "recommendation.updated",
        "decision.recorded",
    ]
    bad = [
        "http://cad.example.gov/hooks",
        "ftp://cad.example.gov",
        "https://user:pw@cad.example.gov/",
        "not a url",
        "https:///nohost",
    ]
    for url in bad:
        response = client.post("/v1/webhooks", json={"url": url}, headers=auth(admin))
        assert response.status_code == 422, url
        assert response.json()["error"]["fields"][0]["field"] == "url"
    monkeypatch.setenv("TRIAGE_WEBHOOK_ALLOW_HTTP_LOCALHOST", "false")
    response = client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/x"}, headers=auth(admin)
    )
    assert response.status_code == 422
    response = client.post(
        "/v1/webhooks",
        json={"url": "https://x.example", "event_types": ["nope"]},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert (
        client.post(
            "/v1/webhooks", json={"url": "https://x.example"}, headers=auth(cad)
        ).status_code
        == 403
    )
    assert client.get("/v1/webhooks", headers=auth(cad)).status_code == 403
    assert client.get("/v1/webhooks").status_code == 401


def test_signature_recipe():
    body = b'{"id":"evt_1","type":"recommendation.created"}'
    header = signature_header("whsec_test", body, timestamp=1_800_000_000)
    assert header.startswith("t=1800000000,v1=")
    assert verify_signature("whsec_test", header, body, now=1_800_000_010)
    assert not verify_signature("whsec_test", header, body + b" ", now=1_800_000_010)
    assert not verify_signature("whsec_other", header, body, now=1_800_000_010)
    assert not verify_signature("whsec_test", header, body, now=1_800_000_000 + 301)  # replay
    assert not verify_signature("whsec_test", "v1=abc", body)
    rotated = header + ",v1=" + "0" * 64
    assert verify_signature("whsec_test", rotated, body, now=1_800_000_000)


def test_concurrent_triages_each_get_exactly_one_event(client, make_key):
    from concurrent.futures import ThreadPoolExecutor

    admin, cad = make_key("admin"), make_key("cad")
    client.app.state.webhook_worker.stop()
    _register(client, admin, "https://cad.example.gov/hooks")

    def triage(i: int) -> int:
        body = {"call_id": f"G-{i}", "narrative": f"{NOTE} UNIT {i}"}
        return client.post("/v1/triage", json=body, headers=auth(cad)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(triage, range(24))) == {200}
    with db.session_scope() as session:
        recs = set(session.scalars(select(Recommendation.id)))
        per_rec = session.execute(
            select(WebhookEvent.recommendation_id, func.count()).group_by(
                WebhookEvent.recommendation_id
            )
        ).all()
        deliveries = session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert len(recs) == 24
    assert dict(per_rec) == dict.fromkeys(recs, 1)
    assert deliveries == 24
