"""Request deadlines and the cap on concurrent triage work."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from service.errors import ServiceError
from service.middleware import RequestContextMiddleware
from service.resilience.limits import ConcurrencyCap, DeadlineMiddleware


@pytest.fixture
def slow_app() -> FastAPI:
    app = FastAPI()

    @app.get("/slow")
    def slow() -> dict[str, str]:
        time.sleep(1.5)
        return {"status": "late"}

    @app.get("/fast")
    def fast() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def chunks():
            for _ in range(3):
                time.sleep(0.2)
                yield b"tick\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    app.add_middleware(DeadlineMiddleware, timeout=0.3)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=1000)
    return app


def test_a_request_past_its_deadline_gets_504_in_the_error_shape(slow_app):
    with TestClient(slow_app) as client:
        response = client.get("/slow", headers={"X-Request-ID": "deadline-1"})
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "timeout"
    assert error["request_id"] == "deadline-1"
    assert response.headers["retry-after"] == "1"
    assert response.headers["x-request-id"] == "deadline-1"


def test_fast_requests_and_started_streams_are_untouched(slow_app):
    with TestClient(slow_app) as client:
        assert client.get("/fast").json() == {"status": "ok"}
        streamed = client.get("/stream")  # lasts 0.6 s but its response started at once
    assert streamed.status_code == 200
    assert streamed.text == "tick\n" * 3


def test_the_concurrency_cap_answers_503_with_retry_after_after_a_bounded_wait():
    cap = ConcurrencyCap(limit=2, wait_seconds=0.2)
    inside = threading.Barrier(3)
    release = threading.Event()

    def hold() -> None:
        with cap.slot():
            inside.wait()
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    inside.wait()
    with pytest.raises(ServiceError) as refused:
        with cap.slot():
            pass
    release.set()
    for thread in holders:
        thread.join()
    assert refused.value.status == 503
    assert refused.value.code == "overloaded"
    assert refused.value.headers["Retry-After"] == "1"
    with cap.slot():  # slots come back
        pass


@pytest.fixture
def app_with(configured, monkeypatch):  # type: ignore[no-untyped-def]
    """A started app whose settings carry the given TRIAGE_* overrides."""
    from contextlib import contextmanager

    from service.config import get_settings
    from service.main import create_app

    @contextmanager
    def start(**overrides: str):  # type: ignore[no-untyped-def]
        for name, value in overrides.items():
            monkeypatch.setenv(f"TRIAGE_{name.upper()}", value)
        get_settings.cache_clear()
        with TestClient(create_app()) as client:
            yield client

    return start


NOTE = {"call_id": "L-1", "narrative": "LOUD MUSIC FROM APT 4B"}


def test_the_rate_limit_answers_429_with_retry_after_in_the_error_shape(app_with, make_key):
    from tests.conftest import auth

    with app_with(rate_limit_requests="3", rate_limit_window_seconds="3600") as client:
        headers = auth(make_key("cad"))
        statuses = [client.post("/v1/triage", json=NOTE, headers=headers) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    refused = statuses[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600


def test_the_deadline_is_applied_to_every_request(app_with, make_key):
    with app_with(request_timeout_seconds="0.000001") as client:
        response = client.get("/readyz")
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "timeout"


def test_triage_past_the_concurrency_cap_gets_503(app_with, make_key):
    from service.resilience.limits import triage_slot
    from tests.conftest import auth

    with app_with(max_concurrent_triage="1", concurrency_wait_seconds="0") as client:
        headers = auth(make_key("cad"))
        with triage_slot(1, 0.0):  # the one slot is busy
            busy = client.post("/v1/triage", json=NOTE, headers=headers)
        free = client.post("/v1/triage", json=NOTE, headers=headers)
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "overloaded"
    assert busy.headers["retry-after"] == "1"
    assert free.status_code == 200


def test_a_chunked_body_over_the_limit_is_refused_while_streaming(app_with, make_key):
    from tests.conftest import auth

    def chunks():  # no Content-Length: the limit is enforced on the bytes as they arrive
        yield b'{"call_id": "B-1", "narrative": "'
        for _ in range(40):
            yield b"x" * 1024
        yield b'"}'

    with app_with(max_body_bytes="16384") as client:
        headers = {**auth(make_key("cad")), "Content-Type": "application/json"}
        response = client.post("/v1/triage", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_model_and_policy_administration_get_the_long_deadline(app_with, make_key):
    from tests.conftest import auth

    overrides = {"request_timeout_seconds": "0.000001", "long_request_timeout_seconds": "60"}
    with app_with(**overrides) as client:
        analyst = auth(make_key("analyst"))
        assert client.get("/v1/models", headers=analyst).status_code == 200
        assert client.get("/v1/recommendations", headers=analyst).status_code == 504
