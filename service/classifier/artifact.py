"""Model artifacts: skops only (never pickle or joblib), with an explicit list of trusted types.

pickle and joblib execute code while loading; skops stores a typed tree and refuses unknown
types (scikit-learn ``doc/model_persistence.rst``). Before loading, every type named in the
artifact's schema is checked against ``TRUSTED_TYPES``; anything else raises
``UntrustedArtifactError`` naming the types, and nothing is constructed.

skops is imported without its listing of every scikit-learn estimator (see
``_skops_without_estimator_listing``): 0.2-0.25 s of every server start.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .jargon import load_jargon
from .model import TriageModel


@contextmanager
def _skops_without_estimator_listing() -> Iterator[None]:
    """While skops is first imported, scikit-learn's estimator listing returns no estimators.

    At import, ``skops.io`` builds its default trusted types, among them every public
    scikit-learn estimator from ``sklearn.utils.all_estimators``, which imports every
    scikit-learn module and, through ``sklearn.utils._testing``, pytest. Any ``skops.io``
    submodule runs that (the package imports all its node modules). skops adds those defaults
    to an explicit ``trusted`` list, so they never decided one of our loads: each passes
    ``TRUSTED_TYPES`` and is audited against it first. Without them skops' own check trusts
    exactly ``TRUSTED_TYPES``. The listing is restored right after the import; if skops was
    already imported, nothing changes.
    """
    if "skops.io" in sys.modules:
        yield
        return
    import sklearn.utils

    listing = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = _no_estimators
    try:
        yield
    finally:
        sklearn.utils.all_estimators = listing


def _no_estimators(*_args: Any, **_kwargs: Any) -> list[tuple[str, type]]:
    return []


with _skops_without_estimator_listing():
    import skops.io as sio

ARTIFACT_FORMAT = "call-triage-model/1"

TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "service.classifier.features.CompactTfidfVectorizer",
    "service.classifier.features.CueGroupVectorizer",
    "service.classifier.features.affirmed_text",
    "service.classifier.features.word_ngrams",
    "service.classifier.normalize.NoteNormalizer",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.multioutput.MultiOutputClassifier",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
)


class UntrustedArtifactError(ValueError):
    """The artifact names types outside ``TRUSTED_TYPES`` (or is not a model artifact)."""

    def __init__(self, path: str | Path, types: list[str], reason: str = "") -> None:
        self.types = types
        detail = reason or f"untrusted types: {', '.join(types)}"
        super().__init__(f"{path}: refusing to load model artifact ({detail})")


def save_model(model: TriageModel, path: str | Path) -> Path:
    """Write ``model`` as a skops artifact; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": ARTIFACT_FORMAT,
        "pipeline": model.pipeline,
        "thresholds": dict(model.thresholds),
        "bands": {tag: list(band) for tag, band in model.bands.items()},
        "metadata": model.metadata,
    }
    sio.dump(payload, target, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    return target


def artifact_types(path: str | Path) -> list[str]:
    """Every ``module.Class`` named anywhere in the artifact's schema."""
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise UntrustedArtifactError(path, [], f"not a skops artifact: {exc}") from exc
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


def load_model(path: str | Path, jargon_file: str | Path | None = None) -> TriageModel:
    """Load a model artifact after auditing its types.

    ``jargon_file`` (default: the ``TRIAGE_JARGON_FILE`` environment variable, if set) is an
    agency jargon CSV merged over the table the model was trained with.
    """
    untrusted = [t for t in artifact_types(path) if t not in TRUSTED_TYPES]
    if untrusted:
        raise UntrustedArtifactError(path, untrusted)
    payload = sio.load(path, trusted=list(TRUSTED_TYPES))
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        raise UntrustedArtifactError(path, [], f"expected format {ARTIFACT_FORMAT}")
    bands = {tag: (band[0], band[1]) for tag, band in payload["bands"].items()}
    model = TriageModel(payload["pipeline"], payload["thresholds"], bands, payload["metadata"])
    agency = jargon_file or os.environ.get("TRIAGE_JARGON_FILE") or None
    if agency:
        model = model.with_jargon(load_jargon(agency))
    return model
