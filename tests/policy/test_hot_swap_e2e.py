"""Real servers: activating a policy reaches every worker and replica, no request dropped."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.policy import DEFAULT_POLICY_PATH
from tests.registry.conftest import train_small
from tests.support.server import ROOT, TRIAGE, create_key_cli, server_env, start_server

pytestmark = pytest.mark.e2e

NOTES = [
    "RP STATES SON OFF HIS MEDS, HEARING VOICES. NO WEAPONS SEEN",
    "LOUD MUSIC FROM APT 4B FOR 2 HRS",
    "DOMESTIC IN PROGRESS, BF HAS A KNIFE",
]


class Traffic(threading.Thread):
    """Triage calls on fresh connections (so the kernel spreads them over workers)."""

    def __init__(self, urls: list[str], key: str) -> None:
        super().__init__(daemon=True)
        self.urls, self.key = urls, key
        self.stop = threading.Event()
        self.results: list[tuple[str, int, str | None]] = []  # (url, status, policy_version)

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            url = self.urls[i % len(self.urls)]
            body = {"call_id": f"HOT-{i}", "narrative": NOTES[i % len(NOTES)]}
            headers = {"Authorization": f"Bearer {self.key}"}
            try:
                response = httpx.post(url + "/v1/triage", json=body, headers=headers, timeout=10)
                version = response.json().get("policy_version")
                self.results.append((url, response.status_code, version))
            except httpx.HTTPError as exc:
                self.results.append((url, 0, type(exc).__name__))
            i += 1

    def settled_on(self, version: str, per_url: int) -> bool:
        """True when the last ``per_url`` answers of every server carry ``version``."""
        for url in self.urls:
            last = [r[2] for r in self.results if r[0] == url][-per_url:]
            if len(last) < per_url or any(v != version for v in last):
                return False
        return True


def test_activation_reaches_every_worker_and_replica(sqlite_url: str, tmp_path: Path) -> None:
    model = train_small(tmp_path / "model.skops", seed=21, n=600)  # quality irrelevant here
    env = server_env(
        sqlite_url,
        tmp_path,
        TRIAGE_RELOAD_INTERVAL_SECONDS="0.5",
        TRIAGE_MODEL_PATH=str(model),
        TRIAGE_MODEL_DIR=str(tmp_path / "models"),
    )
    key = create_key_cli(env, "cad")
    candidate = tmp_path / "agency.yaml"
    candidate.write_text(DEFAULT_POLICY_PATH.read_text().replace('"1.0"', '"hot-1"'))
    servers = [start_server(env, tmp_path, workers=2)]  # two replicas, one with two workers
    try:
        servers.append(start_server(env, tmp_path, workers=1))
        traffic = Traffic([server.url for server in servers], key)
        traffic.start()
        while len(traffic.results) < 20:
            time.sleep(0.05)
        out = subprocess.run(
            [TRIAGE, "policy", "activate", str(candidate)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        version = out.stdout.split()[2]
        assert version.startswith("hot-1+")
        deadline = time.monotonic() + 20
        while not traffic.settled_on(version, per_url=30) and time.monotonic() < deadline:
            time.sleep(0.1)
        traffic.stop.set()
        traffic.join(timeout=15)
    finally:
        for server in servers:
            server.stop()
    assert traffic.settled_on(version, per_url=30), traffic.results[-10:]
    statuses = {status for _, status, _ in traffic.results}
    assert statuses == {200}, [r for r in traffic.results if r[1] != 200][:5]
    versions = [v for _, _, v in traffic.results]
    assert versions[0] != version and set(versions) == {versions[0], version}
