"""The queue page, a call's detail, and decisions made from the console (TestClient)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service import db
from service.console.service import explained_tags
from service.models import Decision
from tests.console.conftest import NOTES, sign_in

# Dialect-independent behaviour: SQLite is enough (PostgreSQL runs the rest).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FETCH = {"X-Requested-With": "fetch"}


def test_queue_lists_calls_newest_first_with_mode_backup_and_review(client, make_key, post_call):
    first = post_call("Q-1", NOTES["music"])
    second = post_call("Q-2", NOTES["knife"])
    sign_in(client, make_key("dispatcher"))
    page = client.get("/console").text
    assert page.index('data-call="Q-2"') < page.index('data-call="Q-1"')
    row = page[page.index(f'id="row-{second["recommendation_id"]}"') :]
    row = row[: row.index("</tr>")]
    assert second["response_mode"].replace("_", " ") in row
    assert '<td class="backup" title="' in row and f">{second['backup_level']}</td>" in row
    assert ("⚠ REVIEW" in row) is second["needs_review"]
    assert "Weapon" in row and "pending" in row
    assert first["recommendation_id"] in page


def test_detail_highlights_evidence_and_shows_rule_guidance_and_versions(
    client, make_key, post_call
):
    rec = post_call("Q-3", NOTES["knife"], call_type="DOM")
    sign_in(client, make_key("dispatcher"))
    detail = client.get(f"/console/calls/{rec['recommendation_id']}", headers=FETCH)
    assert detail.status_code == 200
    html = detail.text
    evidence = explained_tags(rec["explanation"])["weapon"]["evidence"]
    assert evidence, "the model gives evidence for a present weapon tag"
    assert '<mark class="ev tag-weapon"' in html
    mark = html.split('<mark class="ev tag-weapon"')[1].split("</mark>")[0]
    marked = mark.split(">", 1)[1].split("<sup")[0]
    assert marked.lower() in NOTES["knife"].lower()
    assert rec["explanation"]["rule"] in html
    for condition in rec["explanation"]["conditions"]:
        assert condition.replace(">", "&gt;").replace("<", "&lt;") in html
    for line in rec["guidance"]:
        assert line.replace("'", "&#39;") in html
    assert rec["model_version"] in html and rec["policy_version"] in html


@SQLITE_ONLY
def test_negated_cue_is_shown_differently(client, make_key, post_call):
    rec = post_call("Q-4", NOTES["voices"])
    sign_in(client, make_key("dispatcher"))
    html = client.get(f"/console/calls/{rec['recommendation_id']}", headers=FETCH).text
    negated = [p for t in explained_tags(rec["explanation"]).values() for p in t.get("negated", [])]
    if negated:  # "NO WEAPONS SEEN": the weapon cue is ruled out, not evidence
        assert 'class="neg"' in html
    assert '<mark class="ev tag-weapon"' not in html


@SQLITE_ONLY
def test_narrative_is_escaped(client, make_key, post_call):
    rec = post_call("Q-5", "<script>alert(1)</script> MALE WITH A KNIFE <b>YELLING</b>")
    sign_in(client, make_key("dispatcher"))
    html = client.get(f"/console/calls/{rec['recommendation_id']}", headers=FETCH).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html and "<b>YELLING" not in html


def test_accept_then_override_keeps_the_history(client, make_key, post_call):
    rec = post_call("Q-6", NOTES["music"])
    csrf = sign_in(client, make_key("dispatcher", "Dispatcher Ana"))
    url = f"/console/calls/{rec['recommendation_id']}/decision"
    headers = {**FETCH, "X-CSRF-Token": csrf}
    accepted = client.post(url, data={"action": "accepted"}, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["decision_state"] == "accepted"
    assert "✓ accepted" in accepted.json()["row_html"]
    body = {
        "action": "overridden",
        "response_mode": "crisis_team",
        "backup_level": "1",
        "reason": "RP known to crisis team",
    }
    overridden = client.post(url, data=body, headers=headers).json()
    assert overridden["decision_state"] == "overridden"
    assert "crisis team" in overridden["row_html"]
    history = overridden["detail_html"].split("Decision history")[1]
    assert history.index("accepted") < history.index("overridden")
    assert "RP known to crisis team" in history and "Dispatcher Ana" in history
    with db.session_scope() as session:
        rows = list(session.scalars(select(Decision).order_by(Decision.id)))
    assert [(d.action, d.response_mode, d.backup_level) for d in rows] == [
        ("accepted", rec["response_mode"], rec["backup_level"]),
        ("overridden", "crisis_team", 1),
    ]


def test_override_needs_a_reason_and_a_mode_of_the_policy(client, make_key, post_call):
    rec = post_call("Q-7", NOTES["overdose"])
    csrf = sign_in(client, make_key("dispatcher"))
    url = f"/console/calls/{rec['recommendation_id']}/decision"
    headers = {**FETCH, "X-CSRF-Token": csrf}
    no_reason = client.post(
        url,
        headers=headers,
        data={
            "action": "overridden",
            "response_mode": "patrol",
            "backup_level": "0",
            "reason": " ",
        },
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"][0]["field"] == "reason"
    bad_mode = client.post(
        url,
        headers=headers,
        data={"action": "overridden", "response_mode": "swat", "backup_level": "0", "reason": "x"},
    )
    assert bad_mode.status_code == 422
    with db.session_scope() as session:
        assert session.scalars(select(Decision)).first() is None


@SQLITE_ONLY
def test_form_post_without_script_redirects_back_to_the_call(client, make_key, post_call):
    rec = post_call("Q-8", NOTES["music"])
    csrf = sign_in(client, make_key("admin"))
    answer = client.post(
        f"/console/calls/{rec['recommendation_id']}/decision",
        data={"action": "accepted", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console?call={rec['recommendation_id']}"
    page = client.get(answer.headers["location"]).text
    assert "✓ accepted" in page


@SQLITE_ONLY
def test_unknown_call_is_404(client, make_key):
    sign_in(client, make_key("dispatcher"))
    assert client.get("/console/calls/rec_missing", headers=FETCH).status_code == 404


@SQLITE_ONLY
def test_static_files_are_served_locally(client):
    script = client.get("/console/static/console.js")
    assert script.status_code == 200 and "EventSource" in script.text
    assert client.get("/console/static/console.css").status_code == 200
    assert client.get("/console/static/..%2Fservice.py").status_code == 404


def test_explained_tags_reads_the_stored_explanation():
    flat = {"tags": {"weapon": {"evidence": ["knife"]}}}
    assert explained_tags(flat) == {"weapon": {"evidence": ["knife"]}}
    assert explained_tags(None) == {} and explained_tags({"tags": "junk"}) == {}
