"""Schemathesis against the OpenAPI document: no input makes the service answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from service import db
from service.config import get_settings
from service.keys.service import create_key
from service.main import create_app


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    mp.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{path}")
    mp.setenv("TRIAGE_LOG_LEVEL", "ERROR")
    get_settings.cache_clear()
    db.dispose_engines()
    app = create_app()
    with TestClient(app):
        with db.session_scope(write=True) as session:
            _key, secret = create_key(session, role="admin", name="fuzz")
        app.state.fuzz_secret = secret
        yield app
    db.dispose_engines()
    mp.undo()
    get_settings.cache_clear()


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_5xx(case, fuzz_app):
    headers = {"Authorization": f"Bearer {fuzz_app.state.fuzz_secret}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
