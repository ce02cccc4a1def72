"""Outcomes are linked to the recommendation and its decision, and feed the rates by mode."""

from __future__ import annotations

from tests.conftest import auth

CRISIS = "CALLER SAYS HER SON IS OFF HIS MEDS AND HEARING VOICES, NO WEAPONS IN THE HOUSE"
OUTCOME = {
    "disposition": "resolved on scene",
    "force_used": False,
    "injuries": False,
    "arrest": False,
    "transported_to": "crisis_center",
    "resolved_without_police": True,
}


def test_outcome_links_to_latest_recommendation_and_its_decision(client, make_key):
    cad, dispatcher, analyst = make_key("cad"), make_key("dispatcher"), make_key("analyst")
    first = client.post(
        "/v1/triage", json={"call_id": "O-1", "narrative": CRISIS}, headers=auth(cad)
    ).json()
    update = CRISIS + "\nUPDT: SON NOW LOCKED IN BATHROOM, CALM"
    rec = client.post(
        "/v1/triage", json={"call_id": "O-1", "narrative": update}, headers=auth(cad)
    ).json()
    assert rec["recommendation_id"] != first["recommendation_id"]
    decision = client.post(
        f"/v1/recommendations/{rec['recommendation_id']}/decision",
        json={
            "action": "overridden",
            "response_mode": "co_responder",
            "backup_level": 1,
            "reason": "crisis team busy",
        },
        headers=auth(dispatcher),
    )
    assert decision.status_code == 201, decision.text

    response = client.post("/v1/calls/O-1/outcome", json=OUTCOME, headers=auth(cad))
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["recommendation_id"] == rec["recommendation_id"]  # the latest version

    detail = client.get(
        f"/v1/recommendations/{outcome['recommendation_id']}", headers=auth(analyst)
    ).json()
    assert detail["decisions"][-1]["response_mode"] == "co_responder"

    drift = client.get("/v1/analytics/drift", headers=auth(analyst))
    assert drift.status_code == 200, drift.text
    rows = drift.json()["outcomes_by_response_mode"]
    assert rows == [
        {
            "response_mode": "co_responder",
            "decision": "overridden",
            "outcomes": 1,
            "rates": {
                "force_used": 0.0,
                "injuries": 0.0,
                "arrest": 0.0,
                "resolved_without_police": 1.0,
                "transported_to_hospital": 0.0,
                "transported_to_crisis_center": 1.0,
                "transported_to_jail": 0.0,
            },
        }
    ]


def test_outcome_for_a_call_never_triaged_is_404_and_stores_nothing(client, make_key):
    cad, analyst = make_key("cad"), make_key("analyst")
    assert client.post("/v1/calls/NOPE/outcome", json=OUTCOME, headers=auth(cad)).status_code == 404
    drift = client.get("/v1/analytics/drift", headers=auth(analyst)).json()
    assert drift["outcomes_by_response_mode"] == []


def test_drift_api_is_for_analysts_and_checks_its_window(client, make_key):
    assert client.get("/v1/analytics/drift", headers=auth(make_key("cad"))).status_code == 403
    analyst = make_key("analyst")
    bad = client.get("/v1/analytics/drift?since=2026-02-01&until=2026-01-01", headers=auth(analyst))
    assert bad.status_code == 422
