"""Start-up loads the serving model once: from the registry, else from the configured file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import skops.io as sio
from fastapi.testclient import TestClient

from service import db
from service.registry import store
from service.registry.service import register


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every model artifact skops deserializes in this test (the real load runs)."""
    seen: list[Path] = []
    real = sio.load

    def counting(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(Path(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(sio, "load", counting)
    return seen


def _start(loads: list[Path]) -> tuple[str, list[Path]]:
    """Start the full app once; the serving model's version and the files loaded meanwhile."""
    from service.main import create_app

    loads.clear()
    app = create_app()
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        version = app.state.runtime.snapshot.model.version
    return version, list(loads)


def _production():
    with db.session_scope() as session:
        return store.production(session)


def test_fresh_database_loads_the_model_file_once_and_serves_it(registry_settings, loads):
    version, loaded = _start(loads)
    row = _production()
    assert row is not None and row.version == version  # bootstrapped and served
    assert loaded == [registry_settings.model_dir / row.artifact_path]  # once, the stored copy

    again, loaded = _start(loads)  # a restart: the production artifact, once
    assert again == version
    assert loaded == [registry_settings.model_dir / row.artifact_path]


def test_a_promoted_model_is_the_only_model_loaded_at_start(registry_settings, small_models, loads):
    default, _ = _start(loads)
    b = register(small_models["b"], settings=registry_settings, actor="t")
    with db.session_scope(write=True) as session:
        store.make_production(session, store.get_version(session, b.version), actor="t")
    version, loaded = _start(loads)
    assert version == b.version != default
    assert loaded == [registry_settings.model_dir / b.artifact_path]  # not the configured file


def test_a_refused_production_artifact_falls_back_to_the_configured_file(
    registry_settings, small_models, loads
):
    default, _ = _start(loads)
    stored = registry_settings.model_dir / _production().artifact_path
    os.chmod(stored, 0o644)
    stored.write_bytes(small_models["b"].read_bytes())  # altered after registration
    version, loaded = _start(loads)
    assert version == default
    assert loaded == [registry_settings.model_path]  # the hash check refused before loading
