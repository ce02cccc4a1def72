"""Dispatcher decisions, call outcomes and the recommendation listing."""

from __future__ import annotations

from tests.conftest import auth

OUTCOME = {
    "disposition": "resolved on scene",
    "force_used": False,
    "injuries": False,
    "arrest": False,
    "transported_to": "crisis_center",
    "resolved_without_police": True,
}


def _triage(client, key, call_id, narrative):
    response = client.post(
        "/v1/triage", json={"call_id": call_id, "narrative": narrative}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_accept_then_override_keeps_history(client, make_key):
    cad, dispatcher = make_key("cad"), make_key("dispatcher")
    rec = _triage(client, cad, "D-1", "LOUD PARTY, MUSIC AND YELLING FROM BACKYARD")
    url = f"/v1/recommendations/{rec['recommendation_id']}/decision"
    accepted = client.post(
        url,
        headers=auth(dispatcher),
        json={
            "action": "accepted",
            "response_mode": rec["response_mode"],
            "backup_level": rec["backup_level"],
        },
    )
    assert accepted.status_code == 201, accepted.text
    overridden = client.post(
        url,
        headers=auth(dispatcher),
        json={
            "action": "overridden",
            "response_mode": rec["response_mode"],
            "backup_level": 1,
            "reason": "repeat address, officer safety flag",
        },
    )
    assert overridden.status_code == 201
    detail = client.get(
        f"/v1/recommendations/{rec['recommendation_id']}", headers=auth(dispatcher)
    ).json()
    assert detail["decision_state"] == "overridden"
    assert [d["action"] for d in detail["decisions"]] == ["accepted", "overridden"]
    assert detail["narrative"].startswith("LOUD PARTY")


def test_override_without_reason_is_422_naming_reason(client, make_key):
    cad, dispatcher = make_key("cad"), make_key("dispatcher")
    rec = _triage(client, cad, "D-2", "LOUD PARTY")
    response = client.post(
        f"/v1/recommendations/{rec['recommendation_id']}/decision",
        headers=auth(dispatcher),
        json={"action": "overridden", "response_mode": "patrol", "backup_level": 1},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "reason"


def test_decision_with_unknown_mode_or_on_unknown_recommendation(client, make_key):
    cad, dispatcher = make_key("cad"), make_key("dispatcher")
    rec = _triage(client, cad, "D-3", "LOUD PARTY")
    bad_mode = client.post(
        f"/v1/recommendations/{rec['recommendation_id']}/decision",
        headers=auth(dispatcher),
        json={
            "action": "overridden",
            "response_mode": "helicopter",
            "backup_level": 1,
            "reason": "x",
        },
    )
    assert bad_mode.status_code == 422
    missing = client.post(
        "/v1/recommendations/rec_nope/decision",
        headers=auth(dispatcher),
        json={"action": "accepted", "response_mode": "patrol", "backup_level": 0},
    )
    assert missing.status_code == 404


def test_cad_may_not_decide(client, make_key):
    cad = make_key("cad")
    rec = _triage(client, cad, "D-4", "LOUD PARTY")
    response = client.post(
        f"/v1/recommendations/{rec['recommendation_id']}/decision",
        headers=auth(cad),
        json={
            "action": "accepted",
            "response_mode": rec["response_mode"],
            "backup_level": rec["backup_level"],
        },
    )
    assert response.status_code == 403


def test_outcome_is_linked_to_the_latest_version_and_404_for_unknown_calls(client, make_key):
    cad = make_key("cad")
    _triage(client, cad, "O-1", "VERBAL ARGUMENT IN PARKING LOT")
    latest = _triage(client, cad, "O-1", "VERBAL ARGUMENT IN PARKING LOT\nUPDT: PARTIES SEPARATED")
    response = client.post("/v1/calls/O-1/outcome", json=OUTCOME, headers=auth(cad))
    assert response.status_code == 201
    assert response.json()["recommendation_id"] == latest["recommendation_id"]
    assert (
        client.post("/v1/calls/NEVER/outcome", json=OUTCOME, headers=auth(cad)).status_code == 404
    )
    bad = client.post(
        "/v1/calls/O-1/outcome", json={**OUTCOME, "transported_to": "moon"}, headers=auth(cad)
    )
    assert bad.status_code == 422


def test_listing_filters_and_pages(client, make_key):
    cad, analyst = make_key("cad"), make_key("analyst")
    for i in range(5):
        _triage(
            client,
            cad,
            f"L-{i}",
            "LOUD MUSIC FROM APT 4B" if i % 2 else "MALE WAVING A KNIFE AT PASSERSBY",
        )
    page = client.get("/v1/recommendations", params={"limit": 2}, headers=auth(analyst)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    seen = [r["recommendation_id"] for r in page["items"]]
    while page["next_cursor"]:
        page = client.get(
            "/v1/recommendations",
            params={"limit": 2, "cursor": page["next_cursor"]},
            headers=auth(analyst),
        ).json()
        seen += [r["recommendation_id"] for r in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    weapons = client.get(
        "/v1/recommendations", params={"tag": "weapon"}, headers=auth(analyst)
    ).json()
    assert weapons["items"] and all(r["tags"]["weapon"]["present"] for r in weapons["items"])
    pending = client.get(
        "/v1/recommendations", params={"decision_state": "accepted"}, headers=auth(analyst)
    ).json()
    assert pending["items"] == []
    bad = client.get("/v1/recommendations", params={"cursor": "!!"}, headers=auth(analyst))
    assert bad.status_code == 422
