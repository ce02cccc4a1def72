"""The console's corrections panel: analysts see and use it, dispatchers do not."""

from __future__ import annotations

from tests.conftest import auth
from tests.console.conftest import NOTES, sign_in


def _post_call(client, make_key) -> str:
    body = {"call_id": "CC-1", "narrative": NOTES["music"]}
    response = client.post("/v1/triage", json=body, headers=auth(make_key("cad")))
    return response.json()["recommendation_id"]


def test_analyst_corrects_tags_in_the_console(client, make_key):
    rec = _post_call(client, make_key)
    analyst = make_key("analyst", "ana")
    csrf = sign_in(client, analyst)
    pane = client.get(f"/console/calls/{rec}")
    assert pane.status_code == 200 and "Correct the tags" in pane.text

    url = f"/console/calls/{rec}/corrections"
    form = {"weapon": "true", "note": "UPDT mentioned a gun", "csrf_token": csrf}
    answer = client.post(url, data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/console?call={rec}"
    stored = client.get(f"/v1/recommendations/{rec}/corrections", headers=auth(analyst)).json()
    assert len(stored) == 1
    assert stored[0]["weapon"] is True and stored[0]["mental_health"] is False
    assert stored[0]["note"] == "UPDT mentioned a gun"
    pane = client.get(f"/console/calls/{rec}").text
    assert "UPDT mentioned a gun" in pane and 'name="weapon" value="true" checked' in pane

    bad = client.post(url, data={"weapon": "true", "csrf_token": "wrong"}, follow_redirects=False)
    assert bad.status_code == 403


def test_dispatcher_sees_no_panel_and_may_not_post(client, make_key):
    rec = _post_call(client, make_key)
    csrf = sign_in(client, make_key("dispatcher"))
    assert "Correct the tags" not in client.get(f"/console/calls/{rec}").text
    answer = client.post(
        f"/console/calls/{rec}/corrections",
        data={"weapon": "true", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 403
