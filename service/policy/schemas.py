"""Request and response bodies of the policy API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.models import PolicyVersion
from service.policy.conditions import describe
from service.policy.loader import Policy
from service.recommendations.service import as_utc

MAX_POLICY_CHARS = 200_000


class PolicyIn(BaseModel):
    """A policy to validate and (by default) activate."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_POLICY_CHARS, description="Policy YAML.")
    activate: bool = True
    source: str | None = Field(
        default=None, max_length=500, description="Where the text came from (file name)."
    )


class RuleOut(BaseModel):
    """One rule in brief."""

    name: str
    when: str
    response_mode: str
    backup_level: int
    needs_review: bool


class PolicyVersionOut(BaseModel):
    """One activation of a policy (the audit trail)."""

    id: int
    version: str
    content_hash: str
    source: str
    activated_by: str
    activated_at: datetime
    deactivated_at: datetime | None
    is_active: bool

    @classmethod
    def of(cls, row: PolicyVersion) -> PolicyVersionOut:
        """From a stored row."""
        return cls(
            id=row.id,
            version=row.version,
            content_hash=row.content_hash,
            source=row.source,
            activated_by=row.activated_by,
            activated_at=as_utc(row.activated_at),
            deactivated_at=as_utc(row.deactivated_at) if row.deactivated_at else None,
            is_active=row.is_active,
        )


class PolicyVersionDetail(PolicyVersionOut):
    """One activation with the text it activated."""

    content: str


class PolicyDetail(BaseModel):
    """A policy with its rules, modes and full text."""

    version: str
    content_hash: str
    agency: str
    source: str
    modes: dict[str, str]
    rules: list[RuleOut]
    content: str
    activation: PolicyVersionOut | None = Field(
        description="The database activation record; null for the configured policy file."
    )
    loaded_in_this_worker: str | None = Field(
        default=None, description="The policy version this worker currently answers with."
    )

    @classmethod
    def of(cls, policy: Policy, row: PolicyVersion | None, loaded: str | None) -> PolicyDetail:
        """From a validated policy and its activation row, if any."""
        rules = [
            RuleOut(
                name=r.name,
                when=describe(r.when),
                response_mode=r.then.response_mode,
                backup_level=r.then.backup_level,
                needs_review=r.then.needs_review,
            )
            for r in policy.document.rules
        ]
        return cls(
            version=policy.version,
            content_hash=policy.content_hash,
            agency=policy.agency,
            source=row.source if row is not None else policy.source,
            modes=policy.modes,
            rules=rules,
            content=policy.text,
            activation=PolicyVersionOut.of(row) if row is not None else None,
            loaded_in_this_worker=loaded,
        )


class ActivationOut(PolicyVersionOut):
    """The result of POST /v1/policies."""

    created: bool = Field(description="False when this content was already active.")
    warnings: list[str] = Field(default_factory=list)


class ValidationOut(BaseModel):
    """The result of POST /v1/policies with ``activate: false``."""

    valid: bool
    version: str
    content_hash: str
    warnings: list[str]
