"""Request and response bodies of ``POST /v1/triage`` (the v1 contract; add, never rename)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

CallId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=64, pattern=r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
    ),
]


def _storable(value: str) -> str:
    """PostgreSQL text cannot hold NUL: refuse it on every database, naming the field."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000) characters")
    return value


Storable = AfterValidator(_storable)
Narrative = Annotated[str, StringConstraints(min_length=1, max_length=20_000), Storable]
CallType = Annotated[str, StringConstraints(min_length=1, max_length=64), Storable]


class TriageRequest(BaseModel):
    """A dispatch note to triage."""

    model_config = ConfigDict(extra="ignore")

    call_id: CallId = Field(description="The CAD incident number: 1-64 printable ASCII characters.")
    narrative: Narrative = Field(description="The dispatch note, 1-20,000 characters.")
    call_type: CallType | None = Field(default=None, description="The CAD's own call-type code.")
    received_at: AwareDatetime | None = Field(default=None, description="RFC 3339 time.")


class TagOut(BaseModel):
    probability: float = Field(ge=0, le=1)
    present: bool
    uncertain: bool = False


class TagsOut(BaseModel):
    mental_health: TagOut
    drugs: TagOut
    weapon: TagOut
    routine: TagOut


class ChangesOut(BaseModel):
    """What changed since the previous version of the same call."""

    previous_recommendation_id: str
    tags_added: list[str]
    tags_removed: list[str]
    response_mode: dict[str, str] | None = None
    backup_level: dict[str, int] | None = None
    alert: bool = Field(description="True when units should be alerted (escalation).")


class TriageResponse(BaseModel):
    """A stored recommendation."""

    recommendation_id: str
    call_id: str
    call_version: int
    tags: TagsOut
    response_mode: str
    backup_level: int = Field(ge=0, le=3)
    needs_review: bool
    review_reasons: list[str]
    guidance: list[str]
    explanation: dict[str, Any]
    model_version: str
    policy_version: str
    changes: ChangesOut | None = None
    decision_state: str = "pending"
    created_at: datetime
