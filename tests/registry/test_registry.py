"""Register, bootstrap, promote (gate), roll back and follow the pointer with real models."""

from __future__ import annotations

import collections
import zipfile
from contextlib import contextmanager

import pytest
import skops.io as sio
import structlog
from structlog.testing import capture_logs

from service import db
from service.classifier import load_model
from service.registry import store
from service.registry.promotion import BOOTSTRAP_ACTOR, ensure_production
from service.registry.service import ModelRefused, register


@contextmanager
def captured_logs(monkeypatch, module):
    """Capture a module's structlog events, even if its logger was cached by an earlier test."""
    with capture_logs() as logs:
        monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))
        yield logs


def _rows():
    with db.session_scope() as session:
        return {r.version: r for r in store.list_versions(session)}


def test_first_start_registers_the_shipped_model_as_production_once(registry_settings):
    settings = registry_settings
    row = ensure_production(settings)
    assert row.status == "production" and row.promoted_by == BOOTSTRAP_ACTOR
    assert row.version == load_model(settings.model_path).version
    assert (settings.model_dir / row.artifact_path).read_bytes() == settings.model_path.read_bytes()
    assert ensure_production(settings).version == row.version
    assert len(_rows()) == 1
    with db.session_scope() as session:
        assert [e.action for e in store.events(session)] == ["registered", "bootstrapped"]


def test_register_copies_a_candidate_and_refuses_untrusted_artifacts(
    registry_settings, small_models, tmp_path
):
    settings = registry_settings
    row = register(small_models["b"], settings=settings, actor="t")
    assert row.status == "candidate" and row.registered_by == "t"
    assert row.data_fingerprint and len(row.data_fingerprint) == 64
    assert register(small_models["b"], settings=settings, actor="t").version == row.version

    evil = tmp_path / "evil.skops"
    sio.dump(
        {"format": "call-triage-model/1", "x": collections.Counter("abc")},
        evil,
        compression=zipfile.ZIP_DEFLATED,
    )
    with pytest.raises(ModelRefused, match="does not load"):
        register(evil, settings=settings, actor="t")
    assert set(_rows()) == {row.version}
    assert len(list((settings.model_dir / "registry").iterdir())) == 1  # refused copy removed


def _follow(runtime):
    from service.registry.reloader import REFUSED, follow_production_model

    REFUSED.at.clear()
    with db.session_scope() as session:
        follow_production_model(runtime, session)
    return runtime.snapshot.model.version


def _point_production_at(version):
    with db.session_scope(write=True) as session:
        store.make_production(session, store.get_version(session, version), actor="t")


def test_reloader_follows_the_pointer_and_refuses_a_bad_artifact(
    registry_settings, small_models, monkeypatch
):
    import os

    from service.registry import reloader
    from service.registry.artifacts import store_artifact
    from service.runtime import Runtime

    settings = registry_settings
    runtime = Runtime(settings)
    runtime.swap(model=load_model(settings.model_path))
    first = runtime.snapshot.model.version
    assert _follow(runtime) == first  # bootstraps the default; nothing to swap
    b = register(small_models["b"], settings=settings, actor="t")
    _point_production_at(b.version)
    assert _follow(runtime) == b.version

    noisy = register(small_models["noisy"], settings=settings, actor="t")
    stored = settings.model_dir / noisy.artifact_path
    os.chmod(stored, 0o644)
    stored.write_bytes(small_models["a"].read_bytes())  # altered after registration
    _point_production_at(noisy.version)
    with captured_logs(monkeypatch, reloader) as logs:
        assert _follow(runtime) == b.version  # keeps serving the model it has
    refused = [e for e in logs if e["event"] == "model_reload_refused"]
    assert refused and "altered" in refused[0]["error"]

    evil = settings.model_dir / "evil.skops"
    sio.dump(
        {"format": "call-triage-model/1", "x": collections.Counter("abc")},
        evil,
        compression=zipfile.ZIP_DEFLATED,
    )
    name, sha = store_artifact(evil, settings.model_dir)
    with db.session_scope(write=True) as session:
        store.insert_version(
            session,
            version="evil",
            artifact_path=name,
            artifact_sha256=sha,
            data_fingerprint=None,
            metrics={},
            actor="t",
        )
    _point_production_at("evil")
    with captured_logs(monkeypatch, reloader) as logs:
        assert _follow(runtime) == b.version
    assert any("untrusted" in e.get("error", "").lower() for e in logs)
