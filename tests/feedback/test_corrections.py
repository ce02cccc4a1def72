"""Corrections of tags: who and when are stored, history is kept, roles are enforced."""

from __future__ import annotations

from tests.conftest import auth

KNIFE = "RP STATES EX BF IS AT THE DOOR WITH A KNIFE THREATENING HER"
NOISE = "LOUD PARTY NEXT DOOR, MUSIC SINCE 2200, RP REQ EXTRA PATROL"


def _triage(client, key, call_id, narrative):
    response = client.post(
        "/v1/triage", json={"call_id": call_id, "narrative": narrative}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_analyst_correction_is_stored_with_who_and_when_and_history_kept(client, make_key):
    cad, analyst, admin = make_key("cad"), make_key("analyst", "ana"), make_key("admin")
    rec = _triage(client, cad, "C-1", NOISE)
    url = f"/v1/recommendations/{rec['recommendation_id']}/corrections"

    first = client.post(
        url,
        json={"mental_health": True, "drugs": False, "weapon": False, "note": "see UPDT"},
        headers=auth(analyst),
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["recommendation_id"] == rec["recommendation_id"]
    assert body["call_id"] == "C-1"
    assert body["mental_health"] is True and body["routine"] is False
    assert body["changed_tags"] == ["mental_health"]
    assert body["note"] == "see UPDT"
    assert body["corrected_by"] and body["created_at"]

    second = client.post(
        url, json={"mental_health": False, "drugs": False, "weapon": False}, headers=auth(admin)
    )
    assert second.status_code == 201
    assert second.json()["routine"] is True and second.json()["changed_tags"] == []

    history = client.get(url, headers=auth(analyst))
    assert history.status_code == 200
    items = history.json()
    assert [c["id"] for c in items] == [body["id"], second.json()["id"]]
    assert items[0]["corrected_by"] != items[1]["corrected_by"]


def test_correction_roles_and_errors(client, make_key):
    cad, dispatcher, analyst = make_key("cad"), make_key("dispatcher"), make_key("analyst")
    rec = _triage(client, cad, "C-2", KNIFE)
    url = f"/v1/recommendations/{rec['recommendation_id']}/corrections"
    body = {"mental_health": False, "drugs": False, "weapon": True}

    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=auth(cad)).status_code == 403
    assert client.post(url, json=body, headers=auth(dispatcher)).status_code == 403
    assert client.get(url, headers=auth(cad)).status_code == 403
    assert client.get(url, headers=auth(dispatcher)).json() == []

    missing = client.post(
        "/v1/recommendations/rec_nope/corrections", json=body, headers=auth(analyst)
    )
    assert missing.status_code == 404
    bad = client.post(url, json={"mental_health": "maybe", "drugs": False}, headers=auth(analyst))
    assert bad.status_code == 422
    fields = {f["field"] for f in bad.json()["error"]["fields"]}
    assert {"mental_health", "weapon"} <= fields
    extra = client.post(url, json={**body, "routine": True}, headers=auth(analyst))
    assert extra.status_code == 422
