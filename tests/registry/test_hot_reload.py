"""Two real server processes on one PostgreSQL database follow a promotion and a rollback.

Under a steady load from a thread, an admin promotes a new model on one server; both servers
must answer with the new model_version within 10 s of the promotion, and no request may fail.
Then the same for a rollback.
"""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from tests.support.server import ROOT, TRIAGE, create_key_cli, server_env, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]
DEADLINE_SECONDS = 10.0


@dataclass
class Load:
    """Posts notes to every server in turn until stopped; records each answer."""

    urls: list[str]
    key: str
    answers: list[tuple[int, float, int, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(timeout=10) as http:
            n = 0
            while not self.stop.is_set():
                server = n % len(self.urls)
                body = {"call_id": f"HR-{n}", "narrative": f"MALE WITH A KNIFE AT BUS STOP {n}"}
                try:
                    response = http.post(
                        self.urls[server] + "/v1/triage", json=body, headers=headers
                    )
                    version = (
                        response.json().get("model_version", "") if response.is_success else ""
                    )
                    self.answers.append((server, time.monotonic(), response.status_code, version))
                except httpx.HTTPError as exc:
                    self.answers.append((server, time.monotonic(), -1, type(exc).__name__))
                n += 1
                time.sleep(0.02)

    def first_seen(self, server: int, version: str, after: float) -> float | None:
        """When ``server`` first answered with ``version`` after ``after``."""
        times = [t for s, t, _, v in self.answers if s == server and t >= after and v == version]
        return min(times) if times else None

    def wait_all(self, version: str, after: float) -> list[float]:
        """Seconds from ``after`` until each server answered with ``version`` (bounded)."""
        while time.monotonic() < after + DEADLINE_SECONDS + 2:
            seen = [self.first_seen(s, version, after) for s in range(len(self.urls))]
            if all(seen):
                return [t - after for t in seen]  # type: ignore[operator]
            time.sleep(0.1)
        raise AssertionError(f"not every server served {version} within {DEADLINE_SECONDS}s")


def _start_both(env, tmp_path):
    with ThreadPoolExecutor(2) as pool:  # replicas starting at once bootstrap the registry once
        return list(pool.map(lambda _: start_server(env, tmp_path), range(2)))


def _versions_after(load: Load, server: int, after: float) -> set[str]:
    return {v for s, t, _, v in load.answers if s == server and t > after}


def test_two_servers_follow_promotion_and_rollback_without_a_failed_request(
    postgres_url, tmp_path, small_models
):
    env = server_env(
        postgres_url,
        tmp_path,
        TRIAGE_RELOAD_INTERVAL_SECONDS="1",
        TRIAGE_MODEL_PATH=str(small_models["a"]),
        TRIAGE_MODEL_DIR=str(tmp_path / "models"),  # shared by both replicas
    )
    cad, admin = create_key_cli(env, "cad"), create_key_cli(env, "admin")
    servers = _start_both(env, tmp_path)
    admin_headers = {"Authorization": f"Bearer {admin}"}
    try:
        first = {httpx.get(s.url + "/readyz").json()["model_version"] for s in servers}
        assert len(first) == 1
        (version_a,) = first
        load = Load([s.url for s in servers], cad)
        thread = threading.Thread(target=load.run, daemon=True)
        thread.start()
        with httpx.Client(base_url=servers[0].url, headers=admin_headers, timeout=120) as http:
            listed = http.get("/v1/models").json()
            assert [(m["version"], m["status"]) for m in listed] == [(version_a, "production")]
            registered = http.post("/v1/models", json={"artifact_path": str(small_models["b"])})
            assert registered.status_code == 201, registered.text
            version_b = registered.json()["version"]

            promoted = http.post(
                f"/v1/models/{version_b}/promote", json={"override_reason": "hot-reload test"}
            )
            assert promoted.status_code == 200, promoted.text
            at_promotion = time.monotonic()
            delays_up = load.wait_all(version_b, at_promotion)

            rolled = http.post("/v1/models/rollback", json={"reason": "hot-reload test"})
            assert rolled.status_code == 200, rolled.text
            assert rolled.json()["version"] == version_a
            at_rollback = time.monotonic()
            delays_back = load.wait_all(version_a, at_rollback)
            time.sleep(1.5)  # keep the load on after both switched
        load.stop.set()
        thread.join(timeout=15)

        print(
            f"switch delays (s): promote {delays_up}, rollback {delays_back}; "
            f"{len(load.answers)} requests"
        )
        assert max(delays_up) <= DEADLINE_SECONDS and max(delays_back) <= DEADLINE_SECONDS
        failed = [a for a in load.answers if a[2] != 200]
        assert not failed, failed[:5]
        assert len(load.answers) > 50
        for server in range(2):  # once switched, a server never flips back
            switched = load.first_seen(server, version_a, at_rollback)
            assert _versions_after(load, server, switched) == {version_a}
        ready = {httpx.get(s.url + "/readyz").json()["model_version"] for s in servers}
        assert ready == {version_a}
    finally:
        for server in servers:
            server.stop()

    listing = subprocess.run(
        [TRIAGE, "models", "list"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split("\t") for line in listing.splitlines()]
    statuses = {cells[1]: cells[0].strip() for cells in rows}
    assert statuses == {version_a: "production", version_b: "archived"}
