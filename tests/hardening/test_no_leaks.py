"""Narratives and key secrets never reach logs or metrics.

A real server runs at DEBUG (the most talkative setting an operator can choose) and is driven
through answers, every kind of error, decisions, outcomes, console sign-in and /metrics; then
its whole log and the metrics text are searched for any secret and any piece of a note.
"""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from tests.hardening.keys import key_for
from tests.support.server import running_server, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

MARK = "ZQX" + secrets.token_hex(4).upper()  # a token no log line contains by chance
NOTES = [
    f"{MARK}A SUBJ WITH KNIFE AT 555-867-5309, OFF MEDS, HEARING VOICES",
    f"{MARK}B LOUD PARTY, RP jane.{MARK.lower()}@example.com",
    f"{MARK}C MALE UNRESPONSIVE POSS OD, NARCAN GIVEN",
]


def _pieces(text: str) -> set[str]:
    """Every 12-character window of a note: no recognisable fragment may leak either."""
    return {text[i : i + 12] for i in range(0, len(text) - 11, 4)}


def _errors(http: httpx.Client, cad: dict[str, str], dispatcher: dict[str, str]) -> None:
    """Conflict, validation (notes in wrong-typed fields), NUL, unknown key, wrong role."""
    conflict = {**cad, "Idempotency-Key": "k0"}
    bogus = {"Authorization": f"Bearer trk_{MARK.lower()}0000000_{MARK}"}
    cases = [
        (conflict, {"call_id": "LEAK-0", "narrative": NOTES[1]}, 409),
        (cad, {"call_id": [NOTES[0]], "narrative": {"x": NOTES[0]}}, 422),
        (cad, {"call_id": "LEAK-N", "narrative": NOTES[0] + "\x00"}, 422),
        (bogus, {"call_id": "LEAK-X", "narrative": NOTES[0]}, 401),
        (dispatcher, {"call_id": "LEAK-Y", "narrative": NOTES[0]}, 403),
    ]
    for headers, body, status in cases:
        assert http.post("/v1/triage", json=body, headers=headers).status_code == status


def _exercise(url: str, keys: dict[str, str]) -> str:
    """Drive the server through its paths; returns the /metrics text."""
    cad = {"Authorization": f"Bearer {keys['cad']}"}
    dispatcher = {"Authorization": f"Bearer {keys['dispatcher']}"}
    with httpx.Client(base_url=url, timeout=30) as http:
        ids = []
        for i, note in enumerate(NOTES):
            body = {"call_id": f"LEAK-{i}", "narrative": note, "call_type": f"{MARK}T"}
            answer = http.post("/v1/triage", json=body, headers={**cad, "Idempotency-Key": f"k{i}"})
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["recommendation_id"])
        _errors(http, cad, dispatcher)
        override = {"action": "overridden", "response_mode": "co_responder", "backup_level": 1,
                    "reason": f"{MARK}R knows the family"}  # fmt: skip
        decided = http.post(f"/v1/recommendations/{ids[0]}/decision", json=override,
                            headers=dispatcher)  # fmt: skip
        assert decided.status_code == 201, decided.text
        outcome = {"disposition": f"{MARK}D settled", "force_used": False, "injuries": False,
                   "arrest": False, "resolved_without_police": True}  # fmt: skip
        assert http.post("/v1/calls/LEAK-1/outcome", json=outcome, headers=cad).status_code == 201
        assert http.get(f"/v1/recommendations/{ids[1]}", headers=dispatcher).status_code == 200
        http.get("/v1/recommendations", params={"response_mode": MARK}, headers=dispatcher)
        login = http.get("/console/login")
        nonce = re.search(r'name="login_csrf" value="([^"]+)"', login.text)
        if nonce:
            http.post("/console/login", data={"key": keys["dispatcher"], "login_csrf": nonce[1]})
        return http.get("/metrics", headers={"Authorization": f"Bearer {keys['analyst']}"}).text


def test_no_secret_and_no_narrative_in_logs_or_metrics(sqlite_url, tmp_path):
    env = server_env(sqlite_url, tmp_path, TRIAGE_LOG_LEVEL="DEBUG", TRIAGE_LOG_JSON="true")
    keys = {role: key_for(sqlite_url, role) for role in ("cad", "dispatcher", "analyst")}
    with running_server(env, tmp_path) as server:
        metrics_text = _exercise(server.url, keys)
        log = server.log()
    assert "triage_http_request_duration_seconds" in metrics_text
    assert len(log.splitlines()) > 10  # the server did log, at DEBUG
    for secret in keys.values():
        assert secret not in log
        assert secret.split("_", 2)[2] not in log
    assert MARK not in log, [line for line in log.splitlines() if MARK in line][:3]
    assert MARK not in metrics_text
    for note in NOTES:
        leaked = [piece for piece in _pieces(note) if piece in log or piece in metrics_text]
        assert leaked == [], leaked
    assert "555-867-5309" not in log


def test_a_failed_statement_does_not_carry_the_note_in_its_error(configured):
    """Tracebacks of unexpected errors are logged by the server: they must not quote notes."""
    from sqlalchemy.exc import IntegrityError

    from service import db
    from tests.hardening.rows import make_row

    first = make_row(narrative=f"{MARK} FIRST NOTE")
    with db.session_scope(write=True) as session:
        session.add(first)
    with pytest.raises(IntegrityError) as failed:
        with db.session_scope(write=True) as session:
            session.add(make_row(id=first.id, narrative=f"{MARK} SECOND NOTE"))
    assert MARK not in str(failed.value)
