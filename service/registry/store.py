"""Database side of the registry: model versions, the production pointer, the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import ServiceError
from service.models import ModelEvent, ModelVersion, utcnow

STATUSES = ("candidate", "production", "archived")


def get_version(session: Session, version: str) -> ModelVersion:
    """The registered version, or 404."""
    row = session.get(ModelVersion, version)
    if row is None:
        raise ServiceError(404, "not_found", f"no registered model {version!r}")
    return row


def production(session: Session, *, for_update: bool = False) -> ModelVersion | None:
    """The production model (the pointer every worker follows), or None before the first."""
    query = select(ModelVersion).where(ModelVersion.status == "production")
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def by_sha256(session: Session, sha256: str) -> ModelVersion | None:
    """The version registered with these artifact bytes, if any."""
    return session.scalar(select(ModelVersion).where(ModelVersion.artifact_sha256 == sha256))


def list_versions(session: Session, *, status: str | None = None) -> list[ModelVersion]:
    """Registered versions, newest first."""
    query = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.version)
    if status:
        query = query.where(ModelVersion.status == status)
    return list(session.scalars(query))


def events(session: Session, version: str | None = None) -> list[ModelEvent]:
    """The audit trail, oldest first (of one version, or all)."""
    query = select(ModelEvent).order_by(ModelEvent.id)
    if version:
        query = query.where(ModelEvent.version == version)
    return list(session.scalars(query))


def add_event(
    session: Session,
    version: str,
    action: str,
    *,
    actor: str | None,
    reason: str | None = None,
    previous_version: str | None = None,
) -> None:
    """Append one line to the audit trail."""
    session.add(
        ModelEvent(
            version=version,
            action=action,
            actor=actor,
            reason=reason,
            previous_version=previous_version,
        )
    )


def insert_version(
    session: Session,
    *,
    version: str,
    artifact_path: str,
    artifact_sha256: str,
    data_fingerprint: str | None,
    metrics: dict[str, Any],
    actor: str | None,
) -> ModelVersion:
    """Register a candidate; the same bytes again return the existing row, a reused name is 409."""
    existing = by_sha256(session, artifact_sha256)
    if existing is not None:
        return existing
    if session.get(ModelVersion, version) is not None:
        raise ServiceError(
            409, "conflict", f"model version {version!r} is registered with different bytes"
        )
    row = ModelVersion(
        version=version,
        artifact_path=artifact_path,
        artifact_sha256=artifact_sha256,
        data_fingerprint=data_fingerprint,
        metrics=metrics,
        status="candidate",
        registered_by=actor,
    )
    session.add(row)
    session.flush()
    add_event(session, version, "registered", actor=actor)
    return row


def record_verdict(session: Session, version: str, verdict: dict[str, Any]) -> None:
    """Store the gate's verdict and figures on the candidate."""
    get_version(session, version).gate_verdict = verdict
    add_event(
        session,
        version,
        "gate_passed" if verdict.get("passed") else "gate_failed",
        actor=verdict.get("actor"),
        previous_version=verdict.get("baseline_version"),
    )


def make_production(
    session: Session,
    row: ModelVersion,
    *,
    actor: str | None,
    override_reason: str | None = None,
    action: str = "promoted",
) -> ModelVersion | None:
    """Move the production pointer to ``row``; the old production is archived and returned."""
    old = production(session, for_update=True)
    if old is not None and old.version == row.version:
        return None
    now = utcnow()
    if old is not None:
        old.status = "archived"
        if action == "restored":
            old.rolled_back_at = now
        session.flush()  # the one-production index must never see two
    row.status = "production"
    if action != "restored":
        row.promoted_at, row.promoted_by = now, actor
        row.rolled_back_at = None
        row.override_reason = override_reason
    add_event(
        session,
        row.version,
        action,
        actor=actor,
        reason=override_reason,
        previous_version=old.version if old else None,
    )
    session.flush()
    return old


def rollback_target(session: Session) -> ModelVersion | None:
    """The version that was production before the current one and has not been rolled back."""
    return session.scalar(
        select(ModelVersion)
        .where(
            ModelVersion.status == "archived",
            ModelVersion.promoted_at.is_not(None),
            ModelVersion.rolled_back_at.is_(None),
        )
        .order_by(ModelVersion.promoted_at.desc())
        .limit(1)
    )


def when(value: datetime | None) -> str | None:
    """An ISO time for display (SQLite returns naive UTC datetimes)."""
    if value is None:
        return None
    return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"
