"""The console in a real browser against the real server process (two workers, SQLite file).

Debian's chromium driven by playwright: sign in, see calls posted through the API appear
live, accept one and override one with the keyboard only, see both decisions reach a second
open console, see the analytics change, sign out and be refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service import db
from service.keys.service import create_key
from tests.console.conftest import NOTES
from tests.support.server import ServerProcess, server_env, start_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright):  # type: ignore[no-untyped-def]
    """Debian's chromium, headless, with no background network traffic."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def require_chromium() -> None:
    """Skip without chromium on a workstation; in CI a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs Debian's chromium)")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    require_chromium()
    env = server_env(sqlite_url, tmp_path)
    keys = make_keys(sqlite_url, ("dispatcher", "analyst", "cad"))
    process = start_server(env, tmp_path, workers=2)  # the stream and the posts cross workers
    try:
        yield process, keys
    finally:
        process.stop()


def make_keys(database_url: str, roles: tuple[str, ...]) -> dict[str, str]:
    """Keys created in-process (faster than one CLI process per key on a busy machine)."""
    db.upgrade_schema(database_url)
    with db.session_scope(write=True, url=database_url) as session:
        keys = {
            role: create_key(session, role=role, name=f"{role.title()} Browser")[1]
            for role in roles
        }
    db.dispose_engines()
    return keys


def hold_answer(route) -> None:  # type: ignore[no-untyped-def]
    """Send the request, then keep its answer (a redirect, not followed) back for 2.5 s."""
    response = route.fetch(max_redirects=0)
    time.sleep(2.5)  # the live stream polls every second
    route.fulfill(response=response)


def sign_in(browser, url: str, secret: str):  # type: ignore[no-untyped-def]
    """A new browser context signed in with the keyboard; returns its page on the queue."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(url + "/console")
    assert page.url.endswith("/console/login")  # signed-out pages redirect to sign-in
    page.fill("#key", secret)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/console")
    page.wait_for_selector("#live[data-state=live]")
    return page


def post_calls(url: str, cad: str) -> dict[str, dict]:
    answers = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {cad}"}, timeout=10) as http:
        for call_id, note in (
            ("B-1", NOTES["music"]),
            ("B-2", NOTES["knife"]),
            ("B-3", NOTES["voices"]),
        ):
            response = http.post("/v1/triage", json={"call_id": call_id, "narrative": note})
            assert response.status_code == 200, response.text
            answers[call_id] = response.json()
    return answers


def figure(page, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(page.inner_text(f"#fig-{name}").split()[0])


def select_call(page, call_id: str) -> None:  # type: ignore[no-untyped-def]
    """Move the selection with j/k until ``call_id`` is shown in the detail pane."""
    ids = page.eval_on_selector_all("tr.row", "rows => rows.map(r => r.dataset.call)")
    current = page.eval_on_selector("article.call", "a => a.dataset.id")
    selected = page.get_attribute(f"tr.row[data-id='{current}']", "data-call")
    step = "j" if ids.index(call_id) > ids.index(selected) else "k"
    for _ in range(abs(ids.index(call_id) - ids.index(selected))):
        page.keyboard.press(step)
    page.wait_for_selector(f"article.call h2:has-text('Call {call_id} ')")


def test_console_end_to_end(server):
    from playwright.sync_api import sync_playwright

    process, keys = server
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            _run(browser, process.url, keys)
        finally:
            browser.close()


def _run(browser, url: str, keys: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    dispatcher = sign_in(browser, url, keys["dispatcher"])
    analyst = sign_in(browser, url, keys["analyst"])
    dispatcher.evaluate("window.__notReloaded = true")
    analytics = analyst.context.new_page()
    analytics.goto(url + "/console/analytics")
    calls_before = figure(analytics, "calls")

    answers = post_calls(url, keys["cad"])
    for page in (dispatcher, analyst):
        for call_id in answers:
            page.wait_for_selector(f"tr.row[data-call='{call_id}']")
    assert dispatcher.evaluate("window.__notReloaded") is True
    order = dispatcher.eval_on_selector_all("tr.row", "rows => rows.map(r => r.dataset.call)")
    assert order == ["B-3", "B-2", "B-1"]  # newest first
    knife = answers["B-2"]
    row = dispatcher.locator("tr.row[data-call='B-2']")
    assert knife["response_mode"].replace("_", " ") in row.inner_text()
    assert ("REVIEW" in row.inner_text()) is knife["needs_review"]

    # Keyboard only: select the knife call, read why, accept it.
    select_call(dispatcher, "B-2")
    detail = dispatcher.locator("article.call")
    assert detail.locator("mark.ev.tag-weapon").count() >= 1
    assert knife["explanation"]["rule"] in detail.inner_text()
    # 1366x768: nothing scrolls sideways and the decision controls are on screen.
    assert dispatcher.evaluate("document.documentElement.scrollWidth") <= 1366
    for control in ("#accept", "#ov-reason", "#override-save"):
        box = dispatcher.locator(control).bounding_box()
        assert (
            box is not None and box["x"] + box["width"] <= 1366 and box["y"] + box["height"] <= 768
        )
    dispatcher.keyboard.press("a")
    dispatcher.wait_for_selector("tr.row[data-call='B-2'][data-state=accepted]")
    analyst.wait_for_selector("tr.row[data-call='B-2'][data-state=accepted]")  # other console

    # Override the routine call to a crisis team, with a reason, keyboard only.
    select_call(dispatcher, "B-1")
    dispatcher.keyboard.press("o")
    assert dispatcher.evaluate("document.activeElement.id") == "ov-mode"
    dispatcher.select_option("#ov-mode", "crisis_team")  # the focused select, as arrows would
    dispatcher.keyboard.press("Tab")
    dispatcher.keyboard.press("Tab")
    assert dispatcher.evaluate("document.activeElement.id") == "ov-reason"
    dispatcher.keyboard.type("RP says son in crisis, no weapons")
    dispatcher.keyboard.press("Enter")
    dispatcher.wait_for_selector("tr.row[data-call='B-1'][data-state=overridden]")
    analyst.wait_for_selector("tr.row[data-call='B-1'][data-state=overridden]")
    history = dispatcher.inner_text("table.history")
    assert "RP says son in crisis, no weapons" in history and "crisis team" in history

    # Amend: accept after all; both decisions stay in the history.
    dispatcher.keyboard.press("Escape")
    dispatcher.keyboard.press("a")
    dispatcher.wait_for_selector("tr.row[data-call='B-1'][data-state=accepted]")
    dispatcher.wait_for_function("document.querySelectorAll('table.history tbody tr').length === 2")

    # Analysts see the change.
    analytics.reload()
    assert figure(analytics, "calls") == calls_before + 3
    assert figure(analytics, "decided") == 2
    assert analytics.locator("svg.chart").count() >= 4

    # Sign out, then be refused.
    cookie = next(c for c in dispatcher.context.cookies() if c["name"] == "triage_console")
    # The sign-out's answer is held back past the stream's next poll, so the stream sees the
    # ended session first (on a busy machine that happened by chance): the page must still
    # land on the signed-out page, not be sent elsewhere by the stream.
    dispatcher.route("**/console/logout", hold_answer)
    with dispatcher.expect_navigation(url=url + "/console/login?signed_out=true"):
        dispatcher.click("#sign-out")
    dispatcher.unroute("**/console/logout")
    dispatcher.goto(url + "/console")
    assert dispatcher.url.endswith("/console/login")
    status = dispatcher.evaluate("fetch('/console/events').then(r => r.status)")
    assert status == 401
    old = httpx.get(url + "/console/session", cookies={cookie["name"]: cookie["value"]})
    assert old.status_code == 401
    assert dispatcher.errors == [] and analyst.errors == []
