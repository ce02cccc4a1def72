"""Model files: only skops artifacts whose every type is trusted load; a tampered or foreign
file is refused with a clear error before anything in it is constructed or run, and the
serving model stays. (The registry's own tests cover a refused reload through the pointer.)
"""

from __future__ import annotations

import collections
import json
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from service.classifier import load_model
from service.classifier.artifact import UntrustedArtifactError
from service.config import get_settings
from tests.conftest import auth


class _Exploit:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.marker), "w"))


def _tampered(source: Path, target: Path, module: str, name: str) -> Path:
    """Copy ``source`` with its normalizer's type in schema.json replaced by ``module.name``."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "schema.json":
                schema = json.loads(data)
                text = json.dumps(schema).replace(
                    '"__class__": "NoteNormalizer", "__module__": "service.classifier.normalize"',
                    f'"__class__": "{name}", "__module__": "{module}"',
                )
                assert text != json.dumps(schema)
                data = text.encode()
            copy.writestr(item, data)
    return target


@pytest.fixture
def shipped_model() -> Path:
    path = get_settings().model_path
    assert path.is_file(), f"the default model {path} is missing"
    return path


def test_a_pickle_disguised_as_an_artifact_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code-ran"
    disguised = tmp_path / "model.skops"
    disguised.write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(UntrustedArtifactError, match="not a skops artifact"):
        load_model(disguised)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("module", "name"),
    [("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("pickle", "loads")],
)
def test_an_artifact_tampered_to_name_dangerous_types_is_refused(
    shipped_model, tmp_path, module, name
):
    tampered = _tampered(shipped_model, tmp_path / "tampered.skops", module, name)
    with pytest.raises(UntrustedArtifactError) as refused:
        load_model(tampered)
    assert f"{module}.{name}" in str(refused.value)
    assert refused.value.types == [f"{module}.{name}"]


def test_foreign_artifacts_are_refused_with_a_clear_error(tmp_path):
    counter = tmp_path / "counter.skops"
    sio.dump({"format": "call-triage-model/1", "x": collections.Counter("ab")}, counter)
    with pytest.raises(UntrustedArtifactError, match="collections.Counter"):
        load_model(counter)
    bare = tmp_path / "bare-sklearn.skops"
    sio.dump(LogisticRegression(), bare)  # trusted types, but not a triage model
    with pytest.raises(UntrustedArtifactError, match="expected format"):
        load_model(bare)
    truncated = tmp_path / "truncated.skops"
    truncated.write_bytes(get_settings().model_path.read_bytes()[:4096])
    with pytest.raises(UntrustedArtifactError, match="not a skops artifact"):
        load_model(truncated)


def test_the_serving_model_stays_when_a_tampered_artifact_is_offered(
    client, make_key, shipped_model, tmp_path
):
    cad, admin = auth(make_key("cad")), auth(make_key("admin"))
    note = {"call_id": "MF-1", "narrative": "SUBJ WAVING A KNIFE IN THE LOBBY"}
    before = client.post("/v1/triage", json=note, headers=cad).json()["model_version"]
    tampered = _tampered(shipped_model, tmp_path / "evil.skops", "os", "system")
    os.chmod(tampered, 0o644)
    refused = client.post("/v1/models", json={"artifact_path": str(tampered)}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "model_refused"
    assert "os.system" in refused.json()["error"]["message"]
    after = client.post("/v1/triage", json={**note, "call_id": "MF-2"}, headers=cad)
    assert after.status_code == 200
    assert after.json()["model_version"] == before
    assert client.get("/readyz").json()["model_version"] == before
