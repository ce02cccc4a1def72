"""The policy API: read the active policy, activate (admin), audit (analyst); roles enforced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.policy import DEFAULT_POLICY_PATH, load_default_policy
from tests.conftest import auth

DEFAULT_TEXT = DEFAULT_POLICY_PATH.read_text()
EDITED_TEXT = DEFAULT_TEXT.replace('version: "1.0"', 'version: "1.1"')


@pytest.fixture
def api(configured: str) -> Iterator[TestClient]:
    """The full app (its lifespan loads the policy file and the registry's model)."""
    from service.main import create_app

    with TestClient(create_app()) as client:
        yield client


def post(api: TestClient, secret: str, content: str, **extra: Any) -> Any:
    return api.post("/v1/policies", json={"content": content, **extra}, headers=auth(secret))


def test_active_policy_is_the_configured_file_until_one_is_activated(api, make_key) -> None:
    response = api.get("/v1/policies/active", headers=auth(make_key("cad")))
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == load_default_policy().version
    assert body["activation"] is None and body["loaded_in_this_worker"] == body["version"]
    assert body["modes"]["crisis_team"].startswith("a civilian behavioral-health team")
    assert body["rules"][0] == {
        "name": "weapon_in_crisis",
        "when": "weapon present and any of (mental_health possible; call type in "
        "[EDP, EDPM, EDP2, MHC, …])",
        "response_mode": "armed_crisis_response",
        "backup_level": 3,
        "needs_review": False,
    }


def test_admin_activates_and_every_reader_sees_it(api, make_key) -> None:
    admin = make_key("admin")
    created = post(api, admin, EDITED_TEXT, source="agency-v1.1.yaml")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["version"].startswith("1.1+") and body["created"] and body["is_active"]
    assert body["source"] == "agency-v1.1.yaml" and body["warnings"] == []
    active = api.get("/v1/policies/active", headers=auth(make_key("dispatcher"))).json()
    assert active["version"] == body["version"] == active["loaded_in_this_worker"]
    assert active["activation"]["activated_by"] == body["activated_by"]
    assert active["content"] == EDITED_TEXT
    again = post(api, admin, EDITED_TEXT)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == body["id"]


def test_invalid_policy_gets_422_with_every_problem_and_changes_nothing(api, make_key) -> None:
    admin = make_key("admin")
    assert post(api, admin, EDITED_TEXT).status_code == 201
    broken = EDITED_TEXT.replace("backup_level: 3", "backup_level: 5", 1).replace(
        "response_mode: ems", "response_mode: ambulance", 1
    )
    response = post(api, admin, broken, source="bad.yaml")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_policy" and error["message"] == "policy invalid: 2 errors"
    messages = [f["message"] for f in error["fields"]]
    assert "bad.yaml: rule 'weapon_in_crisis': then.backup_level 5 is out of range 0–3" in messages
    assert any("'ambulance' is not defined in modes" in m for m in messages)
    active = api.get("/v1/policies/active", headers=auth(admin)).json()
    assert active["version"].startswith("1.1+")


def test_validate_only_writes_nothing(api, make_key) -> None:
    admin = make_key("admin")
    response = post(api, admin, EDITED_TEXT, activate=False)
    assert response.status_code == 200
    assert response.json()["valid"] is True and response.json()["version"].startswith("1.1+")
    history = api.get("/v1/policies", headers=auth(admin))
    assert history.status_code == 200 and history.json() == []


def test_history_and_detail(api, make_key) -> None:
    admin, analyst = make_key("admin"), make_key("analyst")
    first = post(api, admin, EDITED_TEXT).json()
    second = post(api, admin, DEFAULT_TEXT).json()
    history = api.get("/v1/policies", headers=auth(analyst)).json()
    assert [h["id"] for h in history] == [second["id"], first["id"]]
    assert [h["is_active"] for h in history] == [True, False]
    for stamp in (history[0]["activated_at"], history[1]["deactivated_at"], second["activated_at"]):
        assert stamp.endswith(("Z", "+00:00")), stamp  # UTC, as every other API time
    detail = api.get(f"/v1/policies/{first['id']}", headers=auth(analyst))
    assert detail.status_code == 200 and detail.json()["content"] == EDITED_TEXT
    assert api.get("/v1/policies/999", headers=auth(analyst)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("post", "/v1/policies", "analyst"),
        ("post", "/v1/policies", "cad"),
        ("get", "/v1/policies", "dispatcher"),
        ("get", "/v1/policies", "cad"),
    ],
)
def test_roles(api, make_key, method: str, path: str, role: str) -> None:
    kwargs = {"json": {"content": EDITED_TEXT}} if method == "post" else {}
    response = getattr(api, method)(path, headers=auth(make_key(role)), **kwargs)
    assert response.status_code == 403


def test_no_key_gets_401(api) -> None:
    assert api.get("/v1/policies/active").status_code == 401
    assert api.post("/v1/policies", json={"content": "x"}).status_code == 401
