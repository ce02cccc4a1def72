"""Shared fixtures: an isolated database per test (SQLite and PostgreSQL), app clients, keys."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service import db
from service.config import get_settings

PG_ADMIN_URL = os.environ.get("TRIAGE_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


POSTGRES_UP = _postgres_available()
REQUIRE_PG = os.environ.get("CI") == "true" or os.environ.get("TRIAGE_REQUIRE_PG") == "1"


def _pg_schema_url(schema: str) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'triage.db'}"


@contextmanager
def fresh_pg_schema(prefix: str = "t_") -> Iterator[str]:
    """A new schema on the real PostgreSQL server, dropped on exit; skips or fails if it is down."""
    if not POSTGRES_UP:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required but not reachable")
        pytest.skip("PostgreSQL not reachable")
    schema = prefix + secrets.token_hex(6)
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        db.dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the real PostgreSQL server, dropped afterwards."""
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """Point the process settings at the test database; reset caches afterwards."""
    monkeypatch.setenv("TRIAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIAGE_JOURNAL_DIR", str(tmp_path / "journal"))
    monkeypatch.setenv("TRIAGE_MODEL_DIR", str(tmp_path / "models"))  # registry copies go here
    monkeypatch.setenv("TRIAGE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    db.dispose_engines()
    db.upgrade_schema(database_url)
    yield database_url
    db.dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def make_key(configured: str) -> Callable[[str], str]:
    """Create a key of the given role in the test database and return its secret."""
    from service.keys.service import create_key

    def _make(role: str, name: str = "test") -> str:
        with db.session_scope(write=True) as session:
            _key, secret = create_key(session, role=role, name=name)
        return secret

    return _make


@pytest.fixture
def client(configured: str):  # type: ignore[no-untyped-def]
    """A TestClient over the full app (lifespan runs: schema, model, policy)."""
    from fastapi.testclient import TestClient

    from service.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def auth(secret: str) -> dict[str, str]:
    """The Authorization header for a key secret."""
    return {"Authorization": f"Bearer {secret}"}
