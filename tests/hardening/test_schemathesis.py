"""Schemathesis over the whole OpenAPI document, once with a key of each role.

Every operation, every role: no 5xx, and every documented response matches its schema. The
lead's tests/api/test_openapi_fuzz.py runs the admin key for 5xx only; this adds the other
roles (so handlers run for each role that may call them) and response-schema conformance.

The schema is loaded eagerly (schemathesis' lazy ``from_fixture`` sets ``node._nodeid``, which
pytest 9.2 no longer has); requests go to the app the module fixture starts, via a forwarder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from service import db
from service.config import get_settings
from service.keys.service import ROLES, create_key

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def role_app(tmp_path_factory) -> Iterator[Any]:
    """The app on a fresh SQLite database, a key per role, and one stored recommendation."""
    from service.main import create_app

    patch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("schemathesis")
    patch.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{root / 'api.db'}")
    patch.setenv("TRIAGE_JOURNAL_DIR", str(root / "journal"))
    patch.setenv("TRIAGE_LOG_LEVEL", "ERROR")
    get_settings.cache_clear()
    db.dispose_engines()
    try:
        app = create_app()
        with TestClient(app) as client:
            with db.session_scope(write=True) as session:
                app.state.keys = {r: create_key(session, role=r, name="st")[1] for r in ROLES}
            seeded = client.post(
                "/v1/triage",
                json={"call_id": "ST-1", "narrative": "MALE WITH KNIFE, OFF HIS MEDS"},
                headers={"Authorization": f"Bearer {app.state.keys['cad']}"},
            )
            assert seeded.status_code == 200, seeded.text
            FORWARDER.target = app
            yield app
    finally:
        db.dispose_engines()
        patch.undo()
        get_settings.cache_clear()


class Forwarder:
    """An ASGI app that passes HTTP requests to the app of the running fixture."""

    target: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the fixture's TestClient runs the real lifespan
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.target(scope, receive, send)


FORWARDER = Forwarder()


def _document() -> dict[str, Any]:
    from service.main import create_app

    return create_app().openapi()


schema = schemathesis.openapi.from_dict(_document())
schema.app = FORWARDER


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_with_every_role(case, role_app):
    for role in ROLES:  # the same generated request, sent with each role's key
        headers = {"Authorization": f"Bearer {role_app.state.keys[role]}"}
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )
