"""A real PostgreSQL outage under load: triage keeps answering from the journal, and every
recommendation a client received ends up in the database exactly once, including those a
server had journaled when it was killed (-9) during a second outage, and those its successor
answered after starting while the database was still away.

A private PostgreSQL cluster (its own port and directory) is stopped and started by the test.
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from service.models import Recommendation
from tests.conftest import REQUIRE_PG
from tests.hardening.keys import key_for
from tests.hardening.pgcluster import PrivateCluster, postgres_bindir
from tests.support.server import ServerProcess, server_env, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]

NOTES = [
    "RP STATES SON 22YOA OFF HIS MEDS, HEARING VOICES, BREAKING DISHES. NO WEAPONS SEEN",
    "MALE PASSED OUT IN DRIVER SEAT AT LIGHT, POSS OD, RP GAVE NARCAN X1",
    "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM",
    "LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL",
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    bindir = postgres_bindir()
    if bindir is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are required")
        pytest.skip("no PostgreSQL binaries to run a private cluster")
    pg = PrivateCluster(bindir).init()
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()


@dataclass
class Load:
    """A client sending triage calls one after another, remembering every answer."""

    url: str
    key: str
    prefix: str
    total: int
    phase: str = "before"
    answers: list[tuple[str, int, str | None, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as http:
            for i in range(self.total):
                body = {"call_id": f"{self.prefix}-{i}", "narrative": NOTES[i % len(NOTES)]}
                started = time.perf_counter()
                try:
                    response = http.post("/v1/triage", json=body)
                except httpx.HTTPError as exc:
                    self.errors.append(type(exc).__name__)
                    continue
                elapsed = time.perf_counter() - started
                rec_id = response.json().get("recommendation_id")
                self.answers.append((self.phase, response.status_code, rec_id, elapsed))

    def received(self) -> list[str]:
        return [rec_id for _, status, rec_id, _ in self.answers if status == 200 and rec_id]

    def count(self, phase: str) -> int:
        return sum(1 for p, *_ in self.answers if p == phase)


def _wait(condition, timeout: float = 60, step: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(step)


def _replayed(server: ServerProcess, journal: Path) -> bool:
    ready = httpx.get(server.url + "/readyz", timeout=5)
    return ready.status_code == 200 and not list(journal.glob("seg-*.jsonl"))


def _stored_ids(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = list(conn.scalars(select(Recommendation.id)))
        assert conn.scalar(select(func.count()).select_from(Recommendation)) == len(ids)
    engine.dispose()
    return ids


def _report(load: Load) -> str:
    outage = sorted(t for p, s, _, t in load.answers if p == "outage" and s == 200)
    if not outage:
        return "no answers during the outage"
    p99 = outage[min(len(outage) - 1, int(len(outage) * 0.99))]
    return (
        f"{len(outage)} answers during the outage: median {statistics.median(outage) * 1000:.1f} ms,"
        f" p99 {p99 * 1000:.1f} ms, max {outage[-1] * 1000:.1f} ms"
    )


def _outage_under_load(
    server: ServerProcess, cluster: PrivateCluster, load: Load, journal: Path
) -> None:
    """Stop PostgreSQL in the middle of the load, check readiness, start it again."""
    client = threading.Thread(target=load.run)
    client.start()
    try:
        _wait(lambda: load.count("before") >= 60)
        cluster.stop()  # connections are cut; in-flight transactions abort
        load.phase = "outage"
        _wait(lambda: load.count("outage") >= 120)
        ready = httpx.get(server.url + "/readyz", timeout=5)
        assert ready.status_code == 503
        assert ready.json()["mode"] == "degraded-journaling"
        assert httpx.get(server.url + "/readyz/triage", timeout=5).status_code == 200
        assert list(journal.glob("seg-*.jsonl"))
        cluster.start()
        load.phase = "after"
    finally:
        client.join(timeout=120)
    _wait(lambda: _replayed(server, journal), timeout=60, step=0.2)


def _killed_during_an_outage(
    server: ServerProcess, cluster: PrivateCluster, key: str, env: dict[str, str], tmp_path: Path
) -> Load:
    """Journal answers, SIGKILL the server and start it again while the database is still
    away: it verifies the key from the saved key cache and journals; then the database
    returns and both the orphaned segment and the new one are replayed."""
    journal = Path(env["TRIAGE_JOURNAL_DIR"])
    saved = journal / "verified-keys.json"
    _wait(lambda: saved.exists() and hashlib.sha256(key.encode()).hexdigest() in saved.read_text())
    load = Load(server.url, key, "KILL", total=20, phase="outage")
    cluster.stop()
    load.run()
    server.kill()  # no shutdown: the journal segment is left behind, its lock released
    assert list(journal.glob("seg-*.jsonl"))
    restarted = start_server(env, tmp_path, ready_path="/readyz/triage")
    try:
        assert (
            httpx.get(restarted.url + "/readyz", timeout=5).json()["mode"] == "degraded-journaling"
        )
        after_restart = Load(restarted.url, key, "RESTART", total=20, phase="outage")
        after_restart.run()
        cluster.start()
        _wait(lambda: _replayed(restarted, journal), timeout=60, step=0.2)
    finally:
        restarted.kill()
    load.answers += after_restart.answers
    load.errors += after_restart.errors
    load.total += after_restart.total
    return load


def test_triage_answers_through_an_outage_and_replays_exactly_once(cluster, tmp_path, capsys):
    env = server_env(cluster.url, tmp_path, TRIAGE_JOURNAL_REPLAY_INTERVAL_SECONDS="0.2")
    key = key_for(cluster.url, "cad")
    server = start_server(env, tmp_path)
    load = Load(server.url, key, "OUT", total=400)
    try:
        _outage_under_load(server, cluster, load, Path(env["TRIAGE_JOURNAL_DIR"]))
        killed = _killed_during_an_outage(server, cluster, key, env, tmp_path)
    finally:
        if server.process.poll() is None:
            server.kill()
    with capsys.disabled():
        print("\n[outage] " + _report(load))
    assert not load.errors and not killed.errors
    answers = load.answers + killed.answers
    assert [status for _, status, _, _ in answers if status != 200] == []
    received = load.received() + killed.received()
    assert len(received) == load.total + killed.total == len(set(received))
    assert sorted(_stored_ids(cluster.url)) == sorted(received)  # each exactly once, no extra


@pytest.fixture
def outage_app(cluster, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The app in this process on a fresh schema of the private cluster."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from service import db
    from service.config import get_settings
    from service.main import create_app

    schema = "o_" + secrets.token_hex(4)
    admin = create_engine(cluster.url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    monkeypatch.setenv("TRIAGE_DATABASE_URL", f"{cluster.url}?options=-csearch_path%3D{schema}")
    monkeypatch.setenv("TRIAGE_JOURNAL_DIR", str(tmp_path / "journal"))
    monkeypatch.setenv("TRIAGE_JOURNAL_REPLAY_INTERVAL_SECONDS", "0.2")
    monkeypatch.setenv("TRIAGE_RATE_LIMIT_REQUESTS", "1000")
    get_settings.cache_clear()
    db.dispose_engines()
    try:
        with TestClient(create_app()) as client:
            yield client
    finally:
        db.dispose_engines()
        get_settings.cache_clear()


def test_during_an_outage_keys_reads_and_readiness_behave_as_documented(cluster, outage_app):
    from service import db
    from service.keys.service import create_key

    with db.session_scope(write=True) as session:
        seen = {"Authorization": f"Bearer {create_key(session, role='cad', name='seen')[1]}"}
        unseen = {"Authorization": f"Bearer {create_key(session, role='cad', name='unseen')[1]}"}
    note = {"call_id": "IP-1", "narrative": "MALE WITH A KNIFE, OFF HIS MEDS"}
    assert outage_app.post("/v1/triage", json=note, headers=seen).status_code == 200
    cluster.stop()
    try:
        update = {**note, "narrative": note["narrative"] + "\nUPDT: NOW CALM, KNIFE DROPPED"}
        journaled = outage_app.post("/v1/triage", json=update, headers=seen)
        retry = outage_app.post("/v1/triage", json=update, headers=seen)
        stranger = outage_app.post("/v1/triage", json=note, headers=unseen)
        listing = outage_app.get("/v1/recommendations", headers=seen)
        ready = outage_app.get("/readyz")
        serving = outage_app.get("/readyz/triage")
    finally:
        cluster.start()
    assert journaled.status_code == 200
    assert retry.json()["recommendation_id"] == journaled.json()["recommendation_id"]
    assert stranger.status_code == 503  # a key never verified cannot be checked now
    assert stranger.json()["error"]["code"] == "database_unavailable"
    assert listing.status_code == 503 and listing.headers["retry-after"]
    assert ready.status_code == 503
    assert ready.json()["database"] == "unreachable"
    assert ready.json()["mode"] == "degraded-journaling"
    assert serving.status_code == 200
    _wait(lambda: outage_app.get("/readyz").status_code == 200, timeout=30, step=0.2)
    _wait(lambda: outage_app.get("/readyz").json()["journal"]["segments_pending"] == 0)
    stored = outage_app.get(
        f"/v1/recommendations/{journaled.json()['recommendation_id']}", headers=seen
    ).json()
    assert stored["call_version"] == 2  # renumbered against the database on replay
    assert stored["changes"]["previous_recommendation_id"]
    assert outage_app.post("/v1/triage", json=note, headers=unseen).status_code == 200
