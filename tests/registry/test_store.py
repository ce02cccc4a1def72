"""The registry's storage: immutable artifacts, one production pointer, rollback order."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy.exc import IntegrityError

from service import db
from service.errors import ServiceError
from service.models import ModelVersion
from service.registry import store
from service.registry.artifacts import ArtifactError, store_artifact, verified_path


def test_artifact_is_copied_once_read_only_and_verified(tmp_path):
    source = tmp_path / "m.skops"
    source.write_bytes(b"model bytes")
    model_dir = tmp_path / "models"
    name, sha = store_artifact(source, model_dir)
    assert name == f"registry/sha256-{sha}.skops"
    stored = model_dir / name
    assert stored.read_bytes() == b"model bytes"
    assert not stat.S_IMODE(os.stat(stored).st_mode) & 0o222  # no one may write it
    assert store_artifact(source, model_dir) == (name, sha)  # same bytes: same file
    assert verified_path(model_dir, name, sha) == stored
    assert [p.name for p in (model_dir / "registry").iterdir()] == [stored.name]


def test_an_altered_or_missing_artifact_is_refused(tmp_path):
    source = tmp_path / "m.skops"
    source.write_bytes(b"model bytes")
    name, sha = store_artifact(source, tmp_path)
    stored = tmp_path / name
    os.chmod(stored, 0o644)
    stored.write_bytes(b"evil bytes")
    with pytest.raises(ArtifactError, match="altered"):
        verified_path(tmp_path, name, sha)
    stored.unlink()
    with pytest.raises(ArtifactError, match="missing"):
        verified_path(tmp_path, name, sha)


def _add(session, version: str) -> ModelVersion:
    return store.insert_version(
        session,
        version=version,
        artifact_path=f"registry/{version}",
        artifact_sha256=version.ljust(64, "0"),
        data_fingerprint=None,
        metrics={},
        actor="test",
    )


def test_promotions_archive_the_old_model_and_rollback_walks_back(configured):
    with db.session_scope(write=True) as session:
        for version in ("a", "b", "c"):
            store.make_production(session, _add(session, version), actor="t")
    with db.session_scope() as session:
        assert store.production(session).version == "c"
        assert {r.version: r.status for r in store.list_versions(session)} == {
            "a": "archived",
            "b": "archived",
            "c": "production",
        }
        assert store.rollback_target(session).version == "b"
    for expected in ("b", "a"):
        with db.session_scope(write=True) as session:
            target = store.rollback_target(session)
            store.make_production(session, target, actor="t", action="restored")
        with db.session_scope() as session:
            assert store.production(session).version == expected
    with db.session_scope() as session:
        assert store.rollback_target(session) is None  # nothing older than a
        trail = [(e.version, e.action, e.previous_version) for e in store.events(session)]
    assert ("b", "restored", "c") in trail and ("a", "restored", "b") in trail


def test_reregistering_the_same_bytes_is_idempotent_and_a_reused_name_is_refused(configured):
    with db.session_scope(write=True) as session:
        first = _add(session, "v1")
        assert _add(session, "v1") is first
    with db.session_scope(write=True) as session, pytest.raises(ServiceError) as refused:
        store.insert_version(
            session,
            version="v1",
            artifact_path="x",
            artifact_sha256="f" * 64,
            data_fingerprint=None,
            metrics={},
            actor="t",
        )
    assert refused.value.status == 409


def test_the_database_refuses_two_production_models(configured):
    with db.session_scope(write=True) as session:
        _add(session, "x").status = "production"
    with pytest.raises(IntegrityError), db.session_scope(write=True) as session:
        _add(session, "y").status = "production"
