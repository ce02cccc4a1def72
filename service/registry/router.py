"""The model registry over HTTP: analysts read it, admins register, promote and roll back."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, status

import service.registry.reloader  # noqa: F401 - registers the production-model reloader
from service.db import session_scope
from service.keys.dependencies import AdminKey, AnalystKey
from service.keys.service import Principal
from service.registry import promotion, store
from service.registry import service as registry
from service.registry.schemas import (
    ModelEventOut,
    ModelVersionDetail,
    ModelVersionOut,
    PromoteIn,
    PromotionOut,
    RegisterIn,
    RollbackIn,
)
from service.triage.router import ERROR_RESPONSES

router = APIRouter(prefix="/v1/models", tags=["models"])
Version = Annotated[str, Path(min_length=1, max_length=100)]


def actor_of(principal: Principal) -> str:
    """How the audit trail names an API caller."""
    return f"key:{principal.key_id} ({principal.name})"


@router.get("", response_model=list[ModelVersionOut], responses=ERROR_RESPONSES)
def list_models(
    principal: AnalystKey,
    status: Literal["candidate", "production", "archived"] | None = None,
) -> list[ModelVersionOut]:
    """Registered models, newest first (filter by candidate, production or archived)."""
    with session_scope() as session:
        return [ModelVersionOut.of(r) for r in store.list_versions(session, status=status)]


@router.get("/{version}", response_model=ModelVersionDetail, responses=ERROR_RESPONSES)
def show_model(version: Version, principal: AnalystKey) -> ModelVersionDetail:
    """One model with its gate verdict and audit trail."""
    with session_scope() as session:
        row = store.get_version(session, version)
        events = [ModelEventOut.of(e) for e in store.events(session, version)]
        return ModelVersionDetail(**ModelVersionOut.of(row).model_dump(), events=events)


@router.post(
    "",
    response_model=ModelVersionOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
)
def register_model(body: RegisterIn, request: Request, principal: AdminKey) -> ModelVersionOut:
    """Register a model file as a candidate (copied in, content-addressed, load-tested)."""
    row = registry.register(
        FilePath(body.artifact_path),
        settings=request.app.state.settings,
        actor=actor_of(principal),
    )
    return ModelVersionOut.of(row)


@router.post("/{version}/promote", response_model=PromotionOut, responses=ERROR_RESPONSES)
def promote_model(
    version: Version, body: PromoteIn, request: Request, principal: AdminKey
) -> PromotionOut:
    """Run the promotion gate; promote on a pass, or on a failure with an override reason."""
    verdict = promotion.promote(
        version,
        settings=request.app.state.settings,
        actor=actor_of(principal),
        override_reason=body.override_reason,
        dry_run=body.dry_run,
    )
    return PromotionOut(version=version, promoted=not body.dry_run, verdict=verdict)


@router.post("/rollback", response_model=ModelVersionOut, responses=ERROR_RESPONSES)
def rollback_model(body: RollbackIn, request: Request, principal: AdminKey) -> ModelVersionOut:
    """Restore the previous production model; every worker follows within seconds."""
    row = promotion.rollback(
        settings=request.app.state.settings, actor=actor_of(principal), reason=body.reason
    )
    return ModelVersionOut.of(row)
