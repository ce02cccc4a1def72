"""Register, promote and roll back models: load, verify and smoke-test before any pointer moves."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import structlog

from service.config import Settings
from service.db import session_scope
from service.errors import ServiceError
from service.models import ModelVersion
from service.registry import store
from service.registry.artifacts import ArtifactError, store_artifact, verified_path

log = structlog.get_logger("service.registry")

TAG_NAMES = ("mental_health", "drugs", "weapon", "routine")
# Fixed notes every model must classify without error before it serves (not a quality test:
# the promotion gate is).
SMOKE_NOTES = (
    "RP STATES MALE IN FRONT YARD WAVING A HANDGUN AT NEIGHBORS",
    "caller reports son off his meds, hearing voices, no weapons in the home",
    "FEMALE UNRESPONSIVE IN VEH, POSS OD, NARCAN X2 GIVEN BY RP",
    "loud music from apt 4b for two hours, rp requests extra patrol",
    "x",
)


class ModelRefused(ServiceError):
    """A model that failed to load, to verify or its smoke test: it never serves."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "model_refused", message)


def smoke_test(model: Any) -> None:
    """Classify the fixed notes; refuse a model that errs or answers outside the contract."""
    try:
        batch = model.classify_many(list(SMOKE_NOTES))
        singles = [model.classify(note) for note in SMOKE_NOTES]
    except Exception as exc:  # noqa: BLE001 - any failure refuses the model
        raise ModelRefused(f"smoke test: classify failed ({type(exc).__name__})") from exc
    if len(batch) != len(SMOKE_NOTES):
        raise ModelRefused("smoke test: classify_many returned the wrong number of predictions")
    for prediction in (*batch, *singles):
        tags = prediction.tags
        if set(tags) != set(TAG_NAMES):
            raise ModelRefused(f"smoke test: tags {sorted(tags)} are not {list(TAG_NAMES)}")
        for name, result in tags.items():
            p = float(result.probability)
            if not (math.isfinite(p) and 0.0 <= p <= 1.0):
                raise ModelRefused(f"smoke test: {name} probability {p} outside [0, 1]")
        others = any(tags[t].present for t in TAG_NAMES[:3])
        if bool(tags["routine"].present) == others:
            raise ModelRefused("smoke test: routine must be present exactly when no other tag is")


def load_model_file(path: Path, settings: Settings) -> Any:
    """Load a model file with the classifier's trusted-types check, then smoke-test it."""
    from service.classifier import load_model

    try:
        model = load_model(path, jargon_file=settings.jargon_file)
    except Exception as exc:  # noqa: BLE001 - untrusted types, corrupt file, wrong format
        raise ModelRefused(f"{path.name} does not load: {exc}") from exc
    smoke_test(model)
    return model


def load_version(row: ModelVersion, settings: Settings) -> Any:
    """Load a registered version from its immutable artifact, verifying its SHA-256 first."""
    try:
        path = verified_path(settings.model_dir, row.artifact_path, row.artifact_sha256)
    except ArtifactError as exc:
        raise ModelRefused(str(exc)) from exc
    model = load_model_file(path, settings)
    if model.version != row.version:
        raise ModelRefused(f"artifact holds model {model.version!r}, registered as {row.version!r}")
    return model


def model_facts(model: Any) -> tuple[str | None, dict[str, Any]]:
    """The training-data fingerprint and the metrics an artifact carries (None/empty if absent)."""
    metadata = getattr(model, "metadata", None) or {}
    training_data = metadata.get("training_data") or {}
    fingerprint = metadata.get("data_fingerprint") or training_data.get("sha256")
    return (str(fingerprint) if fingerprint else None), dict(metadata.get("metrics") or {})


def register(source: Path, *, settings: Settings, actor: str | None) -> ModelVersion:
    """Copy an artifact into the registry, prove it loads, and record it as a candidate."""
    return register_loaded(source, settings=settings, actor=actor)[0]


def register_loaded(
    source: Path, *, settings: Settings, actor: str | None
) -> tuple[ModelVersion, Any]:
    """``register``, also returning the model it loaded and smoke-tested from the stored copy.

    The model is the registered row's: loaded from the registry's copy, whose bytes are the
    row's SHA-256 (same bytes, same model version), so a caller may serve it without loading
    the artifact again.
    """
    try:
        found = source.is_file()
    except OSError:  # e.g. a name longer than the filesystem allows: not a file either
        found = False
    if not found:
        raise ServiceError(404, "not_found", f"no model file at {source}")
    name, sha256 = store_artifact(source, settings.model_dir)
    stored = settings.model_dir / name
    try:
        model = load_model_file(stored, settings)
    except ModelRefused:
        with session_scope() as session:
            referenced = store.by_sha256(session, sha256) is not None
        if not referenced:
            stored.unlink(missing_ok=True)
        raise
    fingerprint, metrics = model_facts(model)
    with session_scope(write=True) as session:
        row = store.insert_version(
            session,
            version=model.version,
            artifact_path=name,
            artifact_sha256=sha256,
            data_fingerprint=fingerprint,
            metrics=metrics,
            actor=actor,
        )
    log.info("model_registered", model_version=row.version, sha256=sha256[:12], actor=actor)
    return row, model
