"""Bodies for decisions, outcomes and recommendation listings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.triage.schemas import Storable, TriageResponse

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), Storable]


class DecisionIn(BaseModel):
    """A dispatcher's decision: accept the recommendation or override it with a reason."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["accepted", "overridden"]
    response_mode: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    backup_level: int = Field(ge=0, le=3)
    reason: Reason | None = None


class DecisionOut(BaseModel):
    id: int
    recommendation_id: str
    action: str
    response_mode: str
    backup_level: int
    reason: str | None
    decided_by: str | None
    created_at: datetime


class RecommendationDetail(TriageResponse):
    """A recommendation with its note (unless purged) and its decision history."""

    narrative: str | None
    call_type: str | None
    decisions: list[DecisionOut]


class RecommendationPage(BaseModel):
    items: list[TriageResponse]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class OutcomeIn(BaseModel):
    """How the call ended, reported by the CAD."""

    model_config = ConfigDict(extra="forbid")

    disposition: Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
    force_used: bool
    injuries: bool
    arrest: bool
    transported_to: Literal["hospital", "crisis_center", "jail"] | None = None
    resolved_without_police: bool


class OutcomeOut(OutcomeIn):
    model_config = ConfigDict(extra="ignore")

    id: int
    call_id: str
    recommendation_id: str
    created_at: datetime
