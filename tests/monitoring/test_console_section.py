"""The drift section on the console's analytics page."""

from __future__ import annotations

from service import db
from service.console.analytics import window_for
from service.console.sections import build_sections
from service.models import Outcome
from tests.conftest import auth
from tests.console.conftest import NOTES, sign_in, store_decision


def test_section_lists_adherence_and_outcomes(configured):
    import service.monitoring.console  # noqa: F401 - registers the section (main.py does too)
    from tests.console.conftest import store_recommendation

    rec = store_recommendation(mental_health=True, response_mode="crisis_team", model_version="m7")
    store_decision(rec, "overridden", response_mode="co_responder")
    with db.session_scope(write=True) as session:
        session.add(
            Outcome(
                call_id="x",
                recommendation_id=rec,
                disposition="d",
                force_used=True,
                injuries=False,
                arrest=False,
                transported_to=None,
                resolved_without_police=False,
            )
        )
    with db.session_scope() as session:
        sections = {s.title: s for s in build_sections(session, window_for("7d"))}
    drift = sections["Drift and adherence"]
    assert "m7" in drift.charts[0].svg and "100%" in drift.charts[0].svg
    tables = dict(drift.tables)
    assert tables["Outcomes by response mode"].rows == [
        ["co_responder", "overridden", "1", "100%", "0%", "0%", "0%", "0%", "0%", "0%"]
    ]
    assert tables["Drift alerts"].rows == []


def test_analyst_sees_the_section_on_the_page(client, make_key):
    body = {"call_id": "S-1", "narrative": NOTES["knife"]}
    assert client.post("/v1/triage", json=body, headers=auth(make_key("cad"))).status_code == 200
    sign_in(client, make_key("analyst"))
    page = client.get("/console/analytics")
    assert page.status_code == 200
    assert "Drift and adherence" in page.text and "Override rate by model version" in page.text
    # A call but no alert and no outcome: the empty tables say so, not "No calls in this range."
    assert "No day moved beyond the drift bounds." in page.text
    assert "No outcome reported in this range." in page.text
    assert "No calls in this range." not in page.text
