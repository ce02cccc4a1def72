"""Artifacts: skops only, and anything outside the trusted types is refused."""

from __future__ import annotations

import subprocess
import sys
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


def test_importing_the_classifier_skips_skops_listing_of_every_estimator(tmp_path: Path) -> None:
    """A fresh process, as a server starts: no scan of every scikit-learn module (nor pytest),
    scikit-learn's listing restored, and skops itself trusts exactly TRUSTED_TYPES."""
    other = tmp_path / "dummy.skops"
    code = f"""
import sys
from service.classifier import TRUSTED_TYPES, UntrustedArtifactError, load_model
import sklearn.utils, sklearn.utils.discovery
assert "sklearn.utils._testing" not in sys.modules and "pytest" not in sys.modules
assert sklearn.utils.all_estimators is sklearn.utils.discovery.all_estimators
assert load_model({str(MODEL_PATH)!r}).classify("RP STATES MALE WITH A GUN").tags["weapon"].present
import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException
from sklearn.dummy import DummyClassifier
sio.dump({{"format": "call-triage-model/1", "x": DummyClassifier()}}, {str(other)!r})
try:
    sio.load({str(other)!r}, trusted=list(TRUSTED_TYPES))  # skops' own check, ours skipped
except UntrustedTypesFoundException as exc:
    assert "sklearn.dummy.DummyClassifier" in str(exc), exc
else:
    raise AssertionError("skops trusted an estimator outside TRUSTED_TYPES")
try:
    load_model({str(other)!r})
except UntrustedArtifactError as exc:
    assert "untrusted types: sklearn.dummy.DummyClassifier" in str(exc), exc
else:
    raise AssertionError("load_model accepted an estimator outside TRUSTED_TYPES")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
