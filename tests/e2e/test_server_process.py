"""The real server process over HTTP: a kill -9 mid-burst loses no acknowledged record."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import create_engine, select

from service.models import Recommendation
from tests.support.server import create_key_cli, server_env, start_server

pytestmark = pytest.mark.e2e

NOTES = [
    "RP STATES SON 22YOA OFF HIS MEDS, HEARING VOICES, BREAKING DISHES. NO WEAPONS SEEN",
    "MALE PASSED OUT IN DRIVER SEAT AT LIGHT, POSS OD, RP GAVE NARCAN X1",
    "DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM",
    "LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL",
]


def _burst(url: str, key: str, received: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=5) as http:
        for i in range(5000):
            if stop.is_set():
                return
            body = {"call_id": f"E2E-{i}", "narrative": NOTES[i % len(NOTES)]}
            try:
                response = http.post("/v1/triage", json=body)
            except httpx.HTTPError:
                return  # the server died mid-request: this one was never acknowledged
            if response.status_code == 200:
                received.append(response.json()["recommendation_id"])


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill_9_mid_burst_loses_no_acknowledged_recommendation(backend, request, tmp_path):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    env = server_env(url, tmp_path)
    key = create_key_cli(env, "cad")
    server = start_server(env, tmp_path)
    received: list[str] = []
    stop = threading.Event()
    client = threading.Thread(target=_burst, args=(server.url, key, received, stop))
    client.start()
    while len(received) < 40 and client.is_alive():
        threading.Event().wait(0.02)
    server.kill()
    stop.set()
    client.join(timeout=10)
    assert len(received) >= 40

    restarted = start_server(env, tmp_path)
    try:
        with httpx.Client(
            base_url=restarted.url, headers={"Authorization": f"Bearer {key}"}
        ) as http:
            for rec_id in received:
                assert http.get(f"/v1/recommendations/{rec_id}").status_code == 200
    finally:
        restarted.stop()
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.scalars(select(Recommendation.id)))
        if backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    assert set(received) <= stored
