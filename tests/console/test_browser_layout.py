"""The queue's columns fit the pane at dispatch-workstation sizes (real server, Debian's chromium).

QA found the Decision column cut off ("✓ accep", "✎ overri") at 1366x768 once a row carried the
"v2 ▲ escalated" badge: the queue pane scrolls on its own, so a row wider than the pane did not
make the page scroll sideways, it hid the last column under the pane's edge. This test posts a
call and an escalating second version of it through the API, decides two calls (one override to
the longest mode), and checks at 1366x768, 1024x768 and 1920x1080 that every queue column and
the decision labels and the detail pane's Accept and Override buttons are whole and on screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.console.conftest import NOTES
from tests.console.test_browser import (
    launch_chromium,
    make_keys,
    require_chromium,
    select_call,
    sign_in,
)
from tests.support.server import ServerProcess, server_env, start_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = ((1366, 768), (1024, 768), (1920, 1080))
ESCALATED = NOTES["voices"].replace("NO WEAPONS SEEN", "NOW HOLDING A KITCHEN KNIFE")

# Everything the layout must keep whole, measured in the page: each item's box, the box it must
# stay inside (its table cell, or the viewport for the detail's buttons), and its overflow.
MEASURE = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const pane = document.querySelector("section.queue");
  const paneBox = box(pane);
  paneBox.right = paneBox.left + pane.clientWidth;  // the part not hidden by the pane's edge
  const items = [];
  for (const el of document.querySelectorAll(
      ".queue-table thead th, td.decision .state, td.decision .decided, tr.row .badge.alert")) {
    items.push({what: el.textContent.trim(), box: box(el), cell: box(el.closest("th, td"))});
  }
  const buttons = ["#accept", "#override-save"].map((sel) => {
    const el = document.querySelector(sel);
    return {what: sel, box: box(el), scroll: el.scrollWidth, client: el.clientWidth};
  });
  return {pane: paneBox, paneScroll: pane.scrollWidth, paneClient: pane.clientWidth,
          pageScroll: document.documentElement.scrollWidth, items, buttons};
}"""


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    require_chromium()
    keys = make_keys(sqlite_url, ("dispatcher", "cad"))
    process = start_server(server_env(sqlite_url, tmp_path), tmp_path, workers=1)
    try:
        yield process, keys
    finally:
        process.stop()


def post_queue(url: str, cad: str) -> None:
    """Three calls, then a second version of L-3 that adds a weapon (escalates)."""
    notes = [
        ("L-1", NOTES["music"]),
        ("L-2", NOTES["overdose"]),
        ("L-3", NOTES["voices"]),
        ("L-3", ESCALATED),
    ]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {cad}"}, timeout=10) as http:
        for call_id, note in notes:
            response = http.post("/v1/triage", json={"call_id": call_id, "narrative": note})
            assert response.status_code == 200, response.text
    assert response.json()["call_version"] == 2


def decide(page) -> None:  # type: ignore[no-untyped-def]
    """Keyboard only: accept the escalated L-3 v2, override L-2 to the longest mode, backup 3."""
    page.keyboard.press("j")  # a call is selected (the first to arrive, or the newest)
    page.wait_for_selector("article.call")
    select_call(page, "L-3")  # the newest row: the escalated second version
    assert "v2" in page.inner_text("article.call h2")
    page.keyboard.press("a")
    page.wait_for_selector("tr.row[data-state=accepted]:has(.badge.alert)")
    select_call(page, "L-2")
    page.keyboard.press("o")
    page.select_option("#ov-mode", "armed_crisis_response")
    page.select_option("#ov-backup", "3")
    page.fill("#ov-reason", "caller now reports a weapon")
    page.keyboard.press("Enter")
    page.wait_for_selector("tr.row[data-call='L-2'][data-state=overridden]")
    select_call(page, "L-3")  # the escalated version again, as QA had it


def inside(inner: dict, outer: dict) -> bool:
    """``inner`` lies entirely inside ``outer`` (half a pixel for sub-pixel rounding)."""
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def check_layout(page, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    """Every queue column and decision label whole inside the pane, the buttons on screen."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(f"window.innerWidth === {width}")
    found = page.evaluate(MEASURE)
    size = f"{width}x{height}"
    assert found["pageScroll"] <= width, f"{size}: the page scrolls sideways"
    assert found["paneScroll"] <= found["paneClient"], f"{size}: the queue scrolls sideways"
    texts = [item["what"] for item in found["items"]]
    assert {"Decision", "✓ accepted", "✎ overridden", "▲ escalated"} <= set(texts), texts
    assert any("armed crisis response" in text for text in texts), texts
    for item in found["items"]:
        assert inside(item["box"], item["cell"]), f"{size}: {item['what']!r} leaves its cell"
        assert inside(item["cell"], found["pane"]), f"{size}: {item['what']!r} is cut off"
    viewport = {"left": 0, "top": 0, "right": width, "bottom": height}
    for button in found["buttons"]:
        assert inside(button["box"], viewport), f"{size}: {button['what']} is off screen"
        assert button["scroll"] <= button["client"], f"{size}: {button['what']} text clipped"


def test_queue_columns_fit_with_an_escalated_version(server):
    from playwright.sync_api import sync_playwright

    process, keys = server
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = sign_in(browser, process.url, keys["dispatcher"])  # 1366x768
            post_queue(process.url, keys["cad"])
            page.wait_for_selector("tr.row[data-call='L-3'] .badge.alert")
            decide(page)
            for width, height in VIEWPORTS:
                check_layout(page, width, height)
            assert page.errors == []
        finally:
            browser.close()
