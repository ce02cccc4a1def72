"""``/docs`` works on a network with no way out: every file it needs comes from this service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.test_browser import launch_chromium, require_chromium
from tests.support.server import ServerProcess, server_env, start_server


@pytest.mark.parametrize(
    ("path", "assets"),
    [
        ("/docs", ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css")),
    ],
)
def test_docs_pages_load_their_files_from_the_service_itself(  # type: ignore[no-untyped-def]
    client, path: str, assets: tuple[str, ...]
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']""", page.text)
    sources += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
    assert all(s.startswith("/") for s in sources), sources  # no CDN, no other host
    for asset in assets:
        assert asset in sources
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 10_000, asset
    assert "/openapi.json" in sources
    assert path not in client.get("/openapi.json").json()["paths"]
    assert client.get("/redoc").status_code == 404  # its bundle fetches a logo from a CDN


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    require_chromium()
    process = start_server(server_env(sqlite_url, tmp_path), tmp_path, workers=1)
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.browser
@pytest.mark.e2e
def test_docs_render_in_a_browser_that_can_reach_only_the_service(server: ServerProcess) -> None:
    from playwright.sync_api import sync_playwright

    host = server.url.rstrip("/")
    refused: list[str] = []

    def only_the_service(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(host + "/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_service)
            page.goto(f"{host}/docs")
            page.wait_for_selector(".opblock-summary-path[data-path='/v1/triage']", timeout=20_000)
            assert "Call triage decision support" in page.inner_text(".information-container")
        finally:
            browser.close()
    assert refused == []
