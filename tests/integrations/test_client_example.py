"""The documented client (docs/examples/triage_client.py) run against a real server process,
with webhooks delivered from that process to a real receiver on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import httpx
import pytest

from service import db
from service.keys.service import create_key
from tests.integrations.receiver import running_receiver
from tests.support.server import ROOT, running_server, server_env

EXAMPLE = ROOT / "docs" / "examples" / "triage_client.py"


def _example():
    spec = importlib.util.spec_from_file_location("triage_client_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_client_retries_5xx_with_the_same_idempotency_key():
    client_mod = _example()
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers["Idempotency-Key"]))
        if len(seen) == 1:
            return httpx.Response(503, json={"error": {"code": "not_ready"}})
        return httpx.Response(200, json={"recommendation_id": "rec_1", "call_version": 1})

    client = client_mod.TriageClient(
        "http://triage.test", "trk_x", backoff=0, transport=httpx.MockTransport(handler)
    )
    assert client.triage("24-1", "NOTE", update=3)["recommendation_id"] == "rec_1"
    assert seen == [("/v1/triage", "24-1:3"), ("/v1/triage", "24-1:3")]

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(("refused", ""))
        return httpx.Response(409, json={"error": {"code": "idempotency_conflict", "fields": []}})

    client = client_mod.TriageClient(
        "http://triage.test", "trk_x", backoff=0, transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(client_mod.TriageError) as exc:
        client.triage("24-1", "OTHER", update=3)
    assert exc.value.status == 409 and exc.value.code == "idempotency_conflict"
    assert seen.count(("refused", "")) == 1  # a 409 is never retried


def _keys(database_url: str, *roles: str) -> list[str]:
    """Keys stored straight in the server's database (the keys CLI has its own tests)."""
    db.upgrade_schema(database_url)
    secrets = []
    for role in roles:
        with db.session_scope(write=True, url=database_url) as session:
            secrets.append(create_key(session, role=role, name="e2e")[1])
    db.dispose_engines()
    return secrets


@pytest.mark.e2e
def test_the_example_runs_against_a_real_server_that_pushes_signed_webhooks(sqlite_url, tmp_path):
    env = server_env(
        sqlite_url,
        tmp_path,
        TRIAGE_WEBHOOK_ALLOW_HTTP_LOCALHOST="true",
        TRIAGE_WEBHOOK_BACKOFF_SECONDS="0",
        TRIAGE_WEBHOOK_POLL_SECONDS="0.1",
    )
    cad, admin, dispatcher = _keys(sqlite_url, "cad", "admin", "dispatcher")
    client_mod = _example()
    with running_receiver(fail_first=True) as rx, running_server(env, tmp_path) as server:
        hook = httpx.post(
            f"{server.url}/v1/webhooks",
            json={"url": rx.url},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        assert hook.status_code == 201, hook.text
        rx.secret = hook.json()["secret"]
        run = subprocess.run(
            [sys.executable, str(EXAMPLE)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**env, "TRIAGE_URL": server.url, "TRIAGE_API_KEY": cad, "TRIAGE_CALL_ID": "EX-1"},
            check=False,
        )
        assert run.returncode == 0, run.stderr
        lines = run.stdout.strip().splitlines()
        assert lines[0].startswith("v1: ") and lines[1].startswith("v2: ")
        assert "added ['weapon'] alert True" in lines[1]
        assert lines[2] == "versions: [1, 2]"
        client = client_mod.TriageClient(server.url, dispatcher)
        latest = client_mod.TriageClient(server.url, cad).call_versions("EX-1")[-1]
        decision = client.decide(
            latest,
            override={
                "response_mode": "armed_crisis_response",
                "backup_level": 3,
                "reason": "caller reports subject in crisis",
            },
        )
        assert decision["action"] == "overridden"
        outcome = client_mod.TriageClient(server.url, cad).report_outcome(
            "EX-1",
            disposition="arrest",
            force_used=False,
            injuries=False,
            arrest=True,
            transported_to="jail",
            resolved_without_police=False,
        )
        assert outcome["call_id"] == "EX-1"
        rx.wait_for(lambda r: len(r.events) == 3, timeout=60)
    assert rx.bad_signatures == 0
    assert sorted(e["type"] for e in rx.events.values()) == [
        "decision.recorded",
        "recommendation.created",
        "recommendation.updated",
    ]
    # Every event failed once (500) and was delivered again by the server process.
    assert len(rx.attempts) == 6
    # The documented receiver recipe accepts the server's real signatures, and only them.
    assert rx.signed and all(client_mod.verify_webhook(rx.secret, h, b) for h, b in rx.signed)
    header, body = rx.signed[0]
    assert not client_mod.verify_webhook(rx.secret, header, body.replace(b"}", b" }", 1))
    assert all(b"NEIGHBOR" not in body for body in rx.raw_bodies)
