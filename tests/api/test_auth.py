"""Authentication and roles on every endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service import db
from service.keys.service import revoke_key, verify_secret
from service.models import ApiKey
from tests.conftest import auth

TRIAGE = {"call_id": "A-1", "narrative": "LOUD MUSIC"}


def test_missing_and_unknown_keys_get_401(client):
    assert client.post("/v1/triage", json=TRIAGE).status_code == 401
    bad = client.post("/v1/triage", json=TRIAGE, headers=auth("trk_0123456789abcdef_nope"))
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("role", ["dispatcher", "analyst"])
def test_wrong_role_gets_403(client, make_key, role):
    response = client.post("/v1/triage", json=TRIAGE, headers=auth(make_key(role)))
    assert response.status_code == 403


def test_revoked_key_is_refused_at_once(client, make_key):
    secret = make_key("cad")
    assert client.post("/v1/triage", json=TRIAGE, headers=auth(secret)).status_code == 200
    with db.session_scope(write=True) as session:
        key_id = secret.split("_")[1]
        revoke_key(session, key_id)
    assert client.post("/v1/triage", json=TRIAGE, headers=auth(secret)).status_code == 401


def test_only_a_hash_of_the_secret_is_stored(configured, make_key):
    secret = make_key("admin")
    with db.session_scope() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert secret not in (stored.secret_hash, stored.name, stored.id)
        assert verify_secret(session, secret) is not None
        assert verify_secret(session, secret + "x") is None


def test_health_endpoints_need_no_key(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["model_version"] and ready.json()["policy_version"]
