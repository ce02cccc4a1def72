"""Console fixtures: sign in through the real forms, post calls through the real API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth

NOTES = {
    "knife": "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM",
    "voices": "RP STATES SON 22YOA OFF HIS MEDS, HEARING VOICES, BREAKING DISHES. NO WEAPONS SEEN",
    "overdose": "MALE PASSED OUT IN DRIVER SEAT AT LIGHT, POSS OD, RP GAVE NARCAN X1",
    "music": "LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL",
}
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


def sign_in(client: TestClient, secret: str) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    form = client.get("/console/login")
    assert form.status_code == 200, form.text
    nonce = _LOGIN_CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    answer = client.post(
        "/console/login", data={"key": secret, "login_csrf": nonce}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/console")
    assert page.status_code == 200, page.text
    return _CSRF_META.search(page.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def post_call(client: TestClient, make_key: Callable[[str], str]) -> Callable[..., dict]:
    """POST /v1/triage with a cad key; returns the recommendation."""
    cad = make_key("cad")

    def _post(call_id: str, narrative: str, **extra: str) -> dict:
        body = {"call_id": call_id, "narrative": narrative, **extra}
        response = client.post("/v1/triage", json=body, headers=auth(cad))
        assert response.status_code == 200, response.text
        return response.json()

    return _post


def store_recommendation(**overrides: object) -> str:
    """Insert a recommendation row directly (for time-controlled stream and analytics tests)."""
    import secrets

    from service import db
    from service.models import Recommendation

    tags = {t: bool(overrides.pop(t, False)) for t in ("mental_health", "drugs", "weapon")}
    tags["routine"] = not any(tags.values())
    values: dict[str, object] = {
        "id": "rec_" + secrets.token_hex(12),
        "call_id": "F-" + secrets.token_hex(4),
        "narrative": "TEST NOTE",
        "narrative_sha256": "0" * 64,
        "tags": {t: {"probability": 0.9 if p else 0.1, "present": p} for t, p in tags.items()},
        **tags,
        "response_mode": "patrol",
        "backup_level": 0,
        "needs_review": False,
        "explanation": {"tags": {}, "rule": "r", "conditions": []},
        "model_version": "m1",
        "policy_version": "p1",
        "request_id": "req",
        "request_sha256": "0" * 64,
    }
    values.update(overrides)
    with db.session_scope(write=True) as session:
        session.add(Recommendation(**values))
    return str(values["id"])


def store_decision(recommendation_id: str, action: str, **overrides: object) -> int:
    """Insert a decision row directly and update the recommendation's state."""
    from service import db
    from service.models import Decision, Recommendation

    with db.session_scope(write=True) as session:
        rec = session.get(Recommendation, recommendation_id)
        assert rec is not None
        values: dict[str, object] = {
            "recommendation_id": recommendation_id,
            "action": action,
            "response_mode": rec.response_mode,
            "backup_level": rec.backup_level,
            "reason": None if action == "accepted" else "test",
        }
        values.update(overrides)
        decision = Decision(**values)
        session.add(decision)
        rec.decision_state = action
        session.flush()
        return decision.id
