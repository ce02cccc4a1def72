"""/v1/models: roles, register, a refused promotion, an override, rollback, the audit trail."""

from __future__ import annotations

from tests.conftest import auth


def test_models_api_end_to_end(client_with_models, make_key, small_models):
    client = client_with_models
    admin, analyst, dispatcher = make_key("admin"), make_key("analyst"), make_key("dispatcher")
    listed = client.get("/v1/models", headers=auth(analyst))
    assert listed.status_code == 200
    (default,) = listed.json()
    assert default["status"] == "production" and default["promoted_by"] == "system: first start"
    assert client.get("/v1/models", headers=auth(dispatcher)).status_code == 403

    body = {"artifact_path": str(small_models["noisy"])}
    assert client.post("/v1/models", json=body, headers=auth(analyst)).status_code == 403
    assert (
        client.post(
            "/v1/models", json={"artifact_path": "/nope.skops"}, headers=auth(admin)
        ).status_code
        == 404
    )
    registered = client.post("/v1/models", json=body, headers=auth(admin))
    assert registered.status_code == 201, registered.text
    noisy = registered.json()["version"]
    assert registered.json()["status"] == "candidate"

    refused = client.post(f"/v1/models/{noisy}/promote", json={}, headers=auth(admin))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "gate_failed" and error["fields"]
    detail = client.get(f"/v1/models/{noisy}", headers=auth(analyst)).json()
    assert detail["status"] == "candidate" and detail["gate_verdict"]["passed"] is False
    assert client.get("/readyz").json()["model_version"] == default["version"]

    promoted = client.post(
        f"/v1/models/{noisy}/promote",
        json={"override_reason": "agency accepts lower F1 for drill"},
        headers=auth(admin),
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["verdict"]["overridden"] is True
    detail = client.get(f"/v1/models/{noisy}", headers=auth(admin)).json()
    assert detail["status"] == "production"
    assert detail["override_reason"] == "agency accepts lower F1 for drill"
    assert detail["promoted_by"].startswith("key:")
    assert [e["action"] for e in detail["events"]] == [
        "registered",
        "gate_failed",
        "gate_failed",
        "promoted",
    ]

    rolled = client.post("/v1/models/rollback", json={"reason": "drill over"}, headers=auth(admin))
    assert rolled.status_code == 200 and rolled.json()["version"] == default["version"]
    again = client.post("/v1/models/rollback", json={}, headers=auth(admin))
    assert again.status_code == 409  # nothing older than the first model
    statuses = {
        m["version"]: m["status"] for m in client.get("/v1/models", headers=auth(admin)).json()
    }
    assert statuses == {default["version"]: "production", noisy: "archived"}
