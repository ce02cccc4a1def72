"""Artifacts: skops only, and anything outside the trusted types is refused."""

from __future__ import annotations

import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
import skops.io as sio

from service.classifier import TRUSTED_TYPES, UntrustedArtifactError, load_model, save_model
from service.classifier.artifact import artifact_types
from service.config import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "models" / "triage-default.skops"


def test_shipped_artifact_uses_trusted_types_only() -> None:
    assert set(artifact_types(MODEL_PATH)) <= set(TRUSTED_TYPES)


def test_round_trip(tmp_path: Path) -> None:
    model = load_model(MODEL_PATH)
    copy = load_model(save_model(model, tmp_path / "copy.skops"))
    text = "SUBJ HAS A KNIFE AND IS HEARING VOICES"
    assert copy.version == model.version
    assert copy.classify(text).as_explanation() == model.classify(text).as_explanation()


def test_tampered_artifact_is_refused(tmp_path: Path) -> None:
    payload = sio.load(MODEL_PATH, trusted=list(TRUSTED_TYPES))
    payload["metadata"]["extra"] = Fraction(1, 3)  # a type nobody listed
    tampered = tmp_path / "tampered.skops"
    sio.dump(payload, tampered)
    with pytest.raises(UntrustedArtifactError, match="fractions.Fraction"):
        load_model(tampered)


def test_non_artifacts_are_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.skops"
    bogus.write_bytes(b"\x80\x04pickle-looking bytes")
    with pytest.raises(UntrustedArtifactError, match="not a skops artifact"):
        load_model(bogus)
    with zipfile.ZipFile(tmp_path / "empty.skops", "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(UntrustedArtifactError):
        load_model(tmp_path / "empty.skops")
