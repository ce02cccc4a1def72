"""POST /v1/triage against the real model, policy and database (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from service import db
from service.models import Recommendation
from tests.conftest import auth

TAGS = ("mental_health", "drugs", "weapon", "routine")
CONTRACT_FIELDS = {
    "recommendation_id",
    "call_id",
    "tags",
    "response_mode",
    "backup_level",
    "needs_review",
    "guidance",
    "explanation",
    "model_version",
    "policy_version",
}


def _count() -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(Recommendation)) or 0


def test_triage_returns_every_contract_field_and_stores_it(client, make_key):
    key = make_key("cad")
    body = {
        "call_id": "24-000123",
        "narrative": "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM",
        "call_type": "DOM",
        "received_at": "2026-11-26T20:00:00Z",
    }
    response = client.post("/v1/triage", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert CONTRACT_FIELDS <= answer.keys()
    assert set(answer["tags"]) == set(TAGS)
    assert answer["tags"]["weapon"]["present"] is True
    assert answer["response_mode"] in ("armed_response", "armed_crisis_response")
    assert answer["backup_level"] >= 2
    assert answer["explanation"]["rule"]
    assert answer["explanation"]["tags"]["weapon"]["evidence"]
    assert response.headers["x-request-id"]
    with db.session_scope() as session:
        row = session.get(Recommendation, answer["recommendation_id"])
        assert row is not None and row.narrative == body["narrative"]
        assert row.model_version == answer["model_version"]


def test_routine_note_gets_patrol_and_routine_is_exclusive(client, make_key):
    key = make_key("cad")
    body = {"call_id": "24-1", "narrative": "LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL"}
    answer = client.post("/v1/triage", json=body, headers=auth(key)).json()
    assert answer["response_mode"] == "patrol"
    others = any(answer["tags"][t]["present"] for t in TAGS[:3])
    assert answer["tags"]["routine"]["present"] is (not others)
    assert answer["tags"]["routine"]["present"] is True


def test_idempotency_key_returns_same_recommendation_without_second_record(client, make_key):
    key = make_key("cad")
    body = {
        "call_id": "24-2",
        "narrative": "MALE PASSED OUT IN DRIVER SEAT, POSS OD, RP GAVE NARCAN X1",
    }
    headers = {**auth(key), "Idempotency-Key": "abc-123"}
    first = client.post("/v1/triage", json=body, headers=headers).json()
    second = client.post("/v1/triage", json=body, headers=headers).json()
    assert first == second
    assert _count() == 1


def test_idempotency_key_with_a_different_body_is_409(client, make_key):
    key = make_key("cad")
    headers = {**auth(key), "Idempotency-Key": "k-1"}
    client.post(
        "/v1/triage", json={"call_id": "A", "narrative": "noise complaint"}, headers=headers
    )
    response = client.post(
        "/v1/triage", json={"call_id": "A", "narrative": "other"}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert _count() == 1


def test_retry_without_key_of_the_same_note_creates_no_duplicate(client, make_key):
    key = make_key("cad")
    body = {"call_id": "24-3", "narrative": "WELFARE CHECK ON ELDERLY NEIGHBOR, NO ANSWER AT DOOR"}
    first = client.post("/v1/triage", json=body, headers=auth(key)).json()
    second = client.post("/v1/triage", json=body, headers=auth(key)).json()
    assert first["recommendation_id"] == second["recommendation_id"]
    assert _count() == 1


def test_longer_note_for_the_same_call_is_a_new_linked_version_with_changes(client, make_key):
    key = make_key("cad")
    note = "VERBAL DISPUTE BETWEEN NEIGHBORS OVER PARKING SPOT"
    first = client.post(
        "/v1/triage", json={"call_id": "24-4", "narrative": note}, headers=auth(key)
    ).json()
    update = note + "\nUPDT: RP NOW STATES NEIGHBOR WENT INSIDE AND CAME BACK WITH A HANDGUN"
    second = client.post(
        "/v1/triage", json={"call_id": "24-4", "narrative": update}, headers=auth(key)
    ).json()
    assert second["call_version"] == 2
    assert second["changes"]["previous_recommendation_id"] == first["recommendation_id"]
    assert "weapon" in second["changes"]["tags_added"]
    assert second["changes"]["alert"] is True


def test_bad_input_is_422_naming_the_field(client, make_key):
    key = make_key("cad")
    cases = [
        ({"narrative": "x"}, "call_id"),
        ({"call_id": "1"}, "narrative"),
        ({"call_id": "", "narrative": "x"}, "call_id"),
        ({"call_id": "1", "narrative": ""}, "narrative"),
        ({"call_id": "1", "narrative": "x" * 20_001}, "narrative"),
        ({"call_id": "1", "narrative": 5}, "narrative"),
        ({"call_id": "x" * 65, "narrative": "x"}, "call_id"),
        ({"call_id": "1", "narrative": "x", "received_at": "yesterday"}, "received_at"),
    ]
    for body, field in cases:
        response = client.post("/v1/triage", json=body, headers=auth(key))
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in {f["field"] for f in error["fields"]}, (body, error)
    assert _count() == 0


def _body_error(response) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [f["field"] for f in error["fields"]] == ["body"], error
    return error["fields"][0]["message"]


def test_malformed_json_is_422_naming_the_body_and_where_it_breaks(client, make_key):
    key = make_key("cad")
    response = client.post(
        "/v1/triage",
        content=b'{"call_id": "1", "narrative": ',
        headers={**auth(key), "Content-Type": "application/json"},
    )
    message = _body_error(response)
    assert "not valid JSON" in message and "character 30" in message, message


def test_a_body_not_sent_as_json_says_which_content_type_to_use(client, make_key):
    key = make_key("cad")
    body = '{"call_id": "1", "narrative": "MALE YELLING"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(
            "/v1/triage", content=body, headers={**auth(key), "Content-Type": content_type}
        )
        assert "Content-Type: application/json" in _body_error(response), content_type
    response = client.post("/v1/triage", json=[1, 2], headers=auth(key))  # JSON, not an object
    assert "Content-Type" not in _body_error(response)
    assert _count() == 0


def test_a_body_that_is_not_utf8_is_422_saying_so(client, make_key):
    key = make_key("cad")
    response = client.post(
        "/v1/triage",
        content=b'{"call_id": "1", "narrative": "\xff\xfe"}',
        headers={**auth(key), "Content-Type": "application/json"},
    )
    assert "not UTF-8" in _body_error(response)


def test_body_over_the_limit_is_413(client, make_key):
    key = make_key("cad")
    body = {"call_id": "1", "narrative": "x" * 19_000, "call_type": "y" * 60_000}
    response = client.post("/v1/triage", json=body, headers=auth(key))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_note_the_model_cannot_read_is_answered_and_flagged_for_review(client, make_key):
    """A blank note or one in another language still gets an answer (the CAD must not fail),
    but never a confident one: needs_review says why, and the counts are stored for replays."""
    key = make_key("cad")
    notes = {
        "U-1": ("   ", "no words to read"),
        "U-2": ("HOMBRE CON UN CUCHILLO EN LA COCINA, DICE QUE SE VA A MATAR", "knows only"),
        "U-3": ("LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL", None),
    }
    for call_id, (note, reason) in notes.items():
        response = client.post(
            "/v1/triage", json={"call_id": call_id, "narrative": note}, headers=auth(key)
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        words = answer["explanation"]["words"]
        assert words["recognized"] <= words["content"]
        flagged = [r for r in answer["review_reasons"] if "words" in r]
        if reason is None:
            assert flagged == [] and words["recognized"] == words["content"] > 0
        else:
            assert answer["needs_review"] is True and reason in flagged[0], answer
        with db.session_scope() as session:
            row = session.get(Recommendation, answer["recommendation_id"])
            assert row is not None and row.explanation["words"] == words
