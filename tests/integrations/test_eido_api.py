"""POST /v1/triage/eido and call versions through both endpoints (real app, SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from service import db
from service.models import Recommendation
from tests.conftest import auth
from tests.integrations.eido_docs import (
    assert_valid_eido,
    make_eido,
    sample_call_transfer,
    with_legacy_spellings,
)

FIRST = "VERBAL DISPUTE BETWEEN NEIGHBORS OVER PARKING SPOT"
UPDATE = "UPDT: RP NOW STATES NEIGHBOR WENT INSIDE AND CAME BACK WITH A HANDGUN"


def _count() -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(Recommendation)) or 0


def test_eido_answers_exactly_like_triage(client, make_key):
    key = make_key("cad")
    note = "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM"
    doc = assert_valid_eido(
        make_eido("E-100", [("2026-11-26T20:00:10-05:00", f"<p>{note}</p>")], internal_code="DOM")
    )
    eido = client.post("/v1/triage/eido", json=doc, headers=auth(key))
    assert eido.status_code == 200, eido.text
    plain = client.post(
        "/v1/triage",
        headers=auth(key),
        json={
            "call_id": "E-101",
            "narrative": note,
            "call_type": "DOM",
            "received_at": "2026-11-26T20:00:00-05:00",
        },
    )
    a, b = eido.json(), plain.json()
    assert set(a) == set(b)
    for field in (
        "tags",
        "response_mode",
        "backup_level",
        "needs_review",
        "guidance",
        "model_version",
        "policy_version",
        "call_version",
    ):
        assert a[field] == b[field], field
    assert a["call_id"] == "E-100" and a["tags"]["weapon"]["present"] is True
    with db.session_scope() as session:
        row = session.get(Recommendation, a["recommendation_id"])
        assert row.source == "eido" and row.narrative == note and row.call_type == "DOM"
        assert row.received_at is not None


def test_eido_idempotency_key_is_honored(client, make_key):
    key = make_key("cad")
    doc = make_eido("E-200", [("2026-11-26T20:00:10Z", "WELFARE CHECK, ELDERLY MALE NO ANSWER")])
    headers = {**auth(key), "Idempotency-Key": "E-200:1"}
    first = client.post("/v1/triage/eido", json=doc, headers=headers)
    again = client.post("/v1/triage/eido", json=with_legacy_spellings(doc), headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    doc["notesComponent"][0]["notesActionComments"] = "SOMETHING ELSE"
    conflict = client.post("/v1/triage/eido", json=doc, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert _count() == 1


def test_nena_sample_call_transfer_is_422_naming_what_is_missing(client, make_key):
    key = make_key("cad")
    response = client.post("/v1/triage/eido", json=sample_call_transfer(), headers=auth(key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["request_id"]
    assert {f["field"] for f in error["fields"]} == {"incidentComponent", "notesComponent"}
    assert _count() == 0


def test_eido_rejects_non_objects_and_other_roles(client, make_key):
    cad, dispatcher = make_key("cad"), make_key("dispatcher")
    doc = make_eido("E-300", [("2026-11-26T20:00:10Z", "NOISE")])
    assert client.post("/v1/triage/eido", json=[doc], headers=auth(cad)).status_code == 422
    assert (
        client.post(
            "/v1/triage/eido",
            content=b"{nope",
            headers={**auth(cad), "Content-Type": "application/json"},
        ).status_code
        == 422
    )
    assert client.post("/v1/triage/eido", json=doc, headers=auth(dispatcher)).status_code == 403
    assert client.post("/v1/triage/eido", json=doc).status_code == 401


def test_a_call_updated_through_both_endpoints_is_versioned_and_listed(client, make_key):
    cad = make_key("cad")
    first = client.post(
        "/v1/triage", json={"call_id": "E-400", "narrative": FIRST}, headers=auth(cad)
    ).json()
    assert first["call_version"] == 1 and first["changes"] is None
    doc = assert_valid_eido(
        make_eido(
            "E-400",
            [
                ("2026-11-26T20:00:10-05:00", f"<p>{FIRST}</p>"),
                ("2026-11-26T20:04:40-05:00", f"<p>{UPDATE}</p>"),
            ],
        )
    )
    second = client.post("/v1/triage/eido", json=doc, headers=auth(cad)).json()
    assert second["call_version"] == 2
    assert second["changes"]["previous_recommendation_id"] == first["recommendation_id"]
    assert second["changes"]["tags_added"] == ["weapon"]
    assert second["changes"]["alert"] is True
    assert second["response_mode"] in ("armed_response", "armed_crisis_response")
    # The CAD resends the same EIDO (no new note): same version, no new record.
    again = client.post("/v1/triage/eido", json=doc, headers=auth(cad)).json()
    assert again["recommendation_id"] == second["recommendation_id"]
    third = client.post(
        "/v1/triage",
        headers=auth(cad),
        json={
            "call_id": "E-400",
            "narrative": f"{FIRST}\n{UPDATE}\nUPDT: SUBJ DROPPED THE GUN, IN CUSTODY",
        },
    ).json()
    assert third["call_version"] == 3
    assert third["changes"]["previous_recommendation_id"] == second["recommendation_id"]

    for role in ("cad", "dispatcher", "analyst", "admin"):
        listed = client.get("/v1/calls/E-400/recommendations", headers=auth(make_key(role)))
        assert listed.status_code == 200, role
    body = listed.json()
    assert body["call_id"] == "E-400"
    assert [i["call_version"] for i in body["items"]] == [1, 2, 3]
    assert [i["recommendation_id"] for i in body["items"]] == [
        first["recommendation_id"],
        second["recommendation_id"],
        third["recommendation_id"],
    ]
    assert body["items"][1]["changes"]["tags_added"] == ["weapon"]
    assert "narrative" not in body["items"][0]


def test_call_versions_of_an_unknown_call_is_404(client, make_key):
    response = client.get("/v1/calls/NOPE-1/recommendations", headers=auth(make_key("analyst")))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/v1/calls/NOPE-1/recommendations").status_code == 401
