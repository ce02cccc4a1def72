"""Prometheus metrics are correct with several workers (multiprocess mode)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.server import create_key_cli, running_server, server_env

pytestmark = pytest.mark.e2e


def _counter_total(text: str, name: str) -> float:
    pattern = re.compile(rf"^{name}\{{[^}}]*\}} ([0-9.e+]+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(text))


def test_two_workers_report_every_recommendation(sqlite_url, tmp_path):
    env = server_env(sqlite_url, tmp_path)
    cad, analyst = create_key_cli(env, "cad"), create_key_cli(env, "analyst")
    with running_server(env, tmp_path, workers=2) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for i in range(30):
                response = http.post(
                    "/v1/triage",
                    headers={"Authorization": f"Bearer {cad}"},
                    json={"call_id": f"M-{i}", "narrative": "LOUD MUSIC APT 3"},
                )
                assert response.status_code == 200
            text = http.get("/metrics", headers={"Authorization": f"Bearer {analyst}"}).text
            assert http.get("/metrics").status_code == 401
    assert _counter_total(text, "triage_recommendations_total") == 30
    assert "triage_http_request_duration_seconds_bucket" in text
    assert re.search(r'triage_model_info\{[^}]*version="[^"]+"', text)
    assert "LOUD MUSIC" not in text
