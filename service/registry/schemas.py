"""Bodies of the model registry API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.models import ModelEvent, ModelVersion
from service.recommendations.service import as_utc

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class RegisterIn(BaseModel):
    """A model file on the server's filesystem (a training job's output on shared storage)."""

    model_config = ConfigDict(extra="forbid")

    artifact_path: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class PromoteIn(BaseModel):
    """Promote through the gate; ``override_reason`` lets an admin promote a failing candidate."""

    model_config = ConfigDict(extra="forbid")

    override_reason: Reason | None = None
    dry_run: bool = Field(default=False, description="Run the gate only; move nothing.")


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class ModelVersionOut(BaseModel):
    """A registered model and its promotion record."""

    version: str
    status: str
    created_at: datetime
    artifact_path: str
    artifact_sha256: str
    data_fingerprint: str | None
    metrics: dict[str, Any]
    registered_by: str | None
    promoted_by: str | None
    promoted_at: datetime | None
    rolled_back_at: datetime | None
    gate_verdict: dict[str, Any] | None
    override_reason: str | None

    @classmethod
    def of(cls, row: ModelVersion) -> ModelVersionOut:
        """The API view of a registry row."""
        return cls(
            version=row.version,
            status=row.status,
            created_at=as_utc(row.created_at),
            artifact_path=row.artifact_path,
            artifact_sha256=row.artifact_sha256,
            data_fingerprint=row.data_fingerprint,
            metrics=row.metrics or {},
            registered_by=row.registered_by,
            promoted_by=row.promoted_by,
            promoted_at=as_utc(row.promoted_at) if row.promoted_at else None,
            rolled_back_at=as_utc(row.rolled_back_at) if row.rolled_back_at else None,
            gate_verdict=row.gate_verdict,
            override_reason=row.override_reason,
        )


class ModelEventOut(BaseModel):
    """One line of the registry's audit trail."""

    version: str
    action: str
    actor: str | None
    reason: str | None
    previous_version: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: ModelEvent) -> ModelEventOut:
        """The API view of an audit event."""
        return cls(
            version=row.version,
            action=row.action,
            actor=row.actor,
            reason=row.reason,
            previous_version=row.previous_version,
            created_at=as_utc(row.created_at),
        )


class ModelVersionDetail(ModelVersionOut):
    events: list[ModelEventOut]


class PromotionOut(BaseModel):
    """The gate's verdict and whether the pointer moved."""

    version: str
    promoted: bool
    verdict: dict[str, Any]
