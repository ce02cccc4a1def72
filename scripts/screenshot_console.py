"""Screenshot the dispatcher console with a few calls: docs/console.png, docs/console-analytics.png.

Starts the real server (``triage serve``) on a temporary SQLite database with the shipped model
and policy, posts a handful of dispatch notes through the API, decides two of them, and captures
the queue at 1366x768 in Debian's chromium.

Usage: ``.venv/bin/python scripts/screenshot_console.py``
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service import db  # noqa: E402
from service.keys.service import create_key  # noqa: E402

NOTES = [
    ("24-118301", "LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL", "NOISE"),
    ("24-118302", "MALE PASSED OUT IN DRIVER SEAT AT LIGHT, POSS OD, RP GAVE NARCAN X1", "MED"),
    (
        "24-118303",
        "RP STATES SON 22YOA OFF HIS MEDS, HEARING VOICES, BREAKING DISHES. NO WEAPONS SEEN",
        "WELF",
    ),
    (
        "24-118304",
        "NEIGHBOR REPORTS FEMALE ON BALCONY SAYING SHE WANTS TO END IT, HOLDING A KITCHEN KNIFE",
        "SUIC",
    ),
    ("24-118305", "VEH BLOCKING DRIVEWAY SINCE 0600, NO ONE INSIDE", "PARK"),
    (
        "24-118306",
        "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM, KIDS ON SCENE",
        "DOM",
    ),
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(database_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    keep = ("TRIAGE_MODEL_PATH",)  # the shipped model unless you point at another one
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_") or k in keep}
    env.update(
        TRIAGE_DATABASE_URL=database_url,
        TRIAGE_LOG_LEVEL="WARNING",
        TRIAGE_JOURNAL_DIR=str(workdir / "journal"),
    )
    triage = str(Path(sys.executable).parent / "triage")
    process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
        [triage, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("the server did not become ready")


def _seed(url: str, cad: str) -> list[dict]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {cad}"}) as http:
        return [
            http.post("/v1/triage", json={"call_id": c, "narrative": n, "call_type": t}).json()
            for c, n, t in NOTES
        ]


def _capture(url: str, secret: str, calls: list[dict], out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url + "/console/login")
        page.fill("#key", secret)
        page.keyboard.press("Enter")
        page.wait_for_selector("#live[data-state=live]")
        for index, reason in ((0, None), (1, "EMS already on scene, fire requested")):
            page.goto(f"{url}/console?call={calls[index]['recommendation_id']}")
            page.wait_for_selector("#live[data-state=live]")
            if reason is None:
                page.keyboard.press("a")
            else:
                page.keyboard.press("o")
                page.select_option("#ov-backup", "1")
                page.fill("#ov-reason", reason)
                page.keyboard.press("Enter")
            page.wait_for_selector(
                f"#row-{calls[index]['recommendation_id']}:not([data-state=pending])"
            )
        pending = calls[2:]  # the first two were just decided
        focus = next((c for c in reversed(pending) if c["needs_review"]), calls[-1])
        page.goto(f"{url}/console?call={focus['recommendation_id']}")
        page.wait_for_selector("#live[data-state=live]")
        page.screenshot(path=str(out_dir / "console.png"))
        page.goto(url + "/console/analytics?range=24h")
        page.screenshot(path=str(out_dir / "console-analytics.png"), full_page=False)
        browser.close()


def main() -> None:
    """Produce the screenshots in docs/."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'console.db'}"
        db.upgrade_schema(database_url)
        with db.session_scope(write=True, url=database_url) as session:
            cad = create_key(session, role="cad", name="CAD")[1]
            admin = create_key(session, role="admin", name="Dispatcher J. Rivera")[1]
        db.dispose_engines()
        process, url = _start(database_url, workdir)
        try:
            calls = _seed(url, cad)
            _capture(url, admin, calls, ROOT / "docs")
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
