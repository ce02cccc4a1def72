"""Move the production pointer: promote through the gate, roll back, bootstrap the default."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from service.config import Settings
from service.db import session_scope
from service.errors import ServiceError
from service.models import ModelVersion
from service.registry import gate, store
from service.registry.service import load_version, register_loaded

log = structlog.get_logger("service.registry")
BOOTSTRAP_ACTOR = "system: first start"


class GateFailed(ServiceError):
    """The candidate failed the promotion gate and no override reason was given."""

    def __init__(self, verdict: dict[str, Any]) -> None:
        failed = [c for c in verdict["checks"] if not c["passed"]]
        super().__init__(
            409,
            "gate_failed",
            "the candidate failed the promotion gate; an admin may override with a reason",
            fields=[{"field": c["name"], "message": c["detail"]} for c in failed],
        )
        self.verdict = verdict


def _current_and_candidate(version: str) -> tuple[ModelVersion, ModelVersion | None]:
    with session_scope() as session:
        candidate = store.get_version(session, version)
        baseline = store.production(session)
    if candidate.status == "production":
        raise ServiceError(409, "conflict", f"{version} is already the production model")
    return candidate, baseline


def evaluate(version: str, *, settings: Settings, actor: str | None) -> dict[str, Any]:
    """Run the gate for a candidate against the current production model; nothing is stored."""
    candidate, baseline = _current_and_candidate(version)
    candidate_model = load_version(candidate, settings)
    baseline_model = load_version(baseline, settings) if baseline is not None else None
    identities = (candidate.artifact_sha256, baseline.artifact_sha256 if baseline else None)
    verdict = gate.evaluate(candidate_model, baseline_model, settings, identities=identities)
    return verdict | {"actor": actor}


def promote(
    version: str,
    *,
    settings: Settings,
    actor: str | None,
    override_reason: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Promote a candidate if it passes the gate, or with an admin's recorded override reason.

    The verdict is stored in either case. The candidate is loaded and smoke-tested before the
    pointer moves, so a broken artifact never becomes production.
    """
    override_reason = (override_reason or "").strip() or None
    verdict = evaluate(version, settings=settings, actor=actor)
    if dry_run:
        return verdict
    overridden = not verdict["passed"] and override_reason is not None
    verdict["overridden"] = overridden
    verdict["override_reason"] = override_reason if overridden else None
    allowed = verdict["passed"] or overridden
    with session_scope(write=True) as session:
        store.record_verdict(session, version, verdict)
        current = store.production(session, for_update=True)
        moved = (current.version if current else None) != verdict["baseline_version"]
        if allowed and not moved:
            store.make_production(
                session,
                store.get_version(session, version),
                actor=actor,
                override_reason=verdict["override_reason"],
            )
    if allowed and moved:
        raise ServiceError(409, "conflict", "production changed during the gate; promote again")
    if not allowed:
        raise GateFailed(verdict)
    log.info("model_promoted", model_version=version, actor=actor, overridden=overridden)
    return verdict


def rollback(*, settings: Settings, actor: str | None, reason: str | None = None) -> ModelVersion:
    """Restore the version that was production before the current one (after a smoke test)."""
    with session_scope() as session:
        target = store.rollback_target(session)
        current = store.production(session)
    if target is None or current is None:
        raise ServiceError(409, "conflict", "no earlier production model to roll back to")
    load_version(target, settings)
    with session_scope(write=True) as session:
        now = store.production(session, for_update=True)
        if now is None or now.version != current.version:
            raise ServiceError(409, "conflict", "production changed meanwhile; try again")
        row = store.get_version(session, target.version)
        store.make_production(session, row, actor=actor, override_reason=reason, action="restored")
    log.info("model_rolled_back", model_version=row.version, previous=current.version, actor=actor)
    return row


def ensure_production(settings: Settings) -> ModelVersion | None:
    """On first start with an empty registry, register the shipped default model as production."""
    return bootstrap_production(settings)[0]


def bootstrap_production(settings: Settings) -> tuple[ModelVersion | None, Any]:
    """``ensure_production``, also returning the model when this call registered production.

    The model is the one ``register`` loaded and smoke-tested from the registry's copy, returned
    only if it is the production model's (same version and artifact) once the pointer is set;
    None when production already existed, is another artifact, or nothing was registered.
    """
    with session_scope() as session:
        existing = store.production(session)
    if existing is not None or not settings.model_path.is_file():
        return existing, None
    loaded: tuple[ModelVersion, Any] | None = None
    try:
        loaded = register_loaded(settings.model_path, settings=settings, actor=BOOTSTRAP_ACTOR)
        with session_scope(write=True) as session:
            if store.production(session, for_update=True) is None:
                store.make_production(
                    session,
                    store.get_version(session, loaded[0].version),
                    actor=BOOTSTRAP_ACTOR,
                    action="bootstrapped",
                )
    except IntegrityError:  # another replica bootstrapped at the same moment
        log.info("model_bootstrap_raced")
    with session_scope() as session:
        production = store.production(session)
    if loaded is None or production is None or not _holds(production, *loaded):
        return production, None
    return production, loaded[1]


def _holds(production: ModelVersion, registered: ModelVersion, model: Any) -> bool:
    """True if ``model``, loaded for ``registered``, is the production model's artifact."""
    return (
        production.version == registered.version == model.version
        and production.artifact_sha256 == registered.artifact_sha256
    )
