"""kill -9 of one worker of a two-worker server under load: no acknowledged recommendation is
lost, nothing is stored twice, and SQLite's file passes its integrity check. The same server
then shows a revoked key refused at once by every worker (the outage key cache is not used
while the database answers).

The lead's tests/e2e/test_server_process.py kills a whole single-process server; this kills one
worker while its sibling keeps serving, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from service.models import Recommendation
from tests.hardening.keys import key_for, revoke
from tests.support.server import ServerProcess, server_env, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

NOTES = [
    "RP STATES SON 22YOA OFF HIS MEDS, HEARING VOICES, BREAKING DISHES. NO WEAPONS SEEN",
    "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM",
    "LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL",
]


def worker_pids(server: ServerProcess) -> set[int]:
    """The uvicorn worker processes: children of the supervisor started by multiprocessing."""
    supervisor = server.process.pid
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    workers = set()
    for pid in map(int, children):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            workers.add(pid)
    return workers


class Burst:
    """Several clients, each on fresh connections (spread over both workers)."""

    def __init__(self, url: str, key: str, clients: int = 4) -> None:
        self.url, self.key = url, key
        self.acknowledged: list[str] = []
        self.statuses: list[int] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(clients)]

    def _run(self, client: int) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Connection": "close"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as http:
            for i in range(100_000):
                if self.stop.is_set():
                    return
                body = {"call_id": f"W{client}-{i}", "narrative": NOTES[i % len(NOTES)]}
                try:
                    response = http.post("/v1/triage", json=body)
                except httpx.HTTPError:
                    continue  # the worker died mid-request: never acknowledged
                self.statuses.append(response.status_code)
                if response.status_code == 200:
                    self.acknowledged.append(response.json()["recommendation_id"])

    def __enter__(self) -> Burst:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} answers"
            time.sleep(0.02)


def _revoked_key_is_refused_by_every_worker(server: ServerProcess, env: dict[str, str]) -> None:
    """Each worker has seen (and cached) the key; after revocation none accepts it."""
    secret = key_for(env["TRIAGE_DATABASE_URL"], "analyst", "to-revoke")
    headers = {"Authorization": f"Bearer {secret}", "Connection": "close"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
        assert {http.get("/v1/recommendations?limit=1").status_code for _ in range(20)} == {200}
        revoke(env["TRIAGE_DATABASE_URL"], secret)
        assert {http.get("/v1/recommendations?limit=1").status_code for _ in range(20)} == {401}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill_9_of_one_worker_loses_and_corrupts_nothing(backend, request, tmp_path):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    env = server_env(url, tmp_path)
    key = key_for(url, "cad")
    server = start_server(env, tmp_path, workers=2)
    try:
        workers = worker_pids(server)
        assert len(workers) == 2
        victim = min(workers)
        with Burst(server.url, key) as burst:
            burst.wait_for(60)
            os.kill(victim, signal.SIGKILL)
            killed_at = len(burst.acknowledged)
            burst.wait_for(killed_at + 60)  # the surviving and the respawned worker serve on
        respawned = worker_pids(server)
        assert victim not in respawned
        _revoked_key_is_refused_by_every_worker(server, env)
    finally:
        server.kill()  # the whole server, too: the checks below follow a crash
    assert set(burst.statuses) <= {200, 503}, set(burst.statuses)
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.scalars(select(Recommendation.id)))
        repeated = conn.execute(
            select(Recommendation.call_id).group_by(Recommendation.call_id).having(func.count() > 1)
        ).all()
        if backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    assert set(burst.acknowledged) <= stored
    assert len(set(burst.acknowledged)) == len(burst.acknowledged)
    assert repeated == []  # each call was sent once: one stored version each
