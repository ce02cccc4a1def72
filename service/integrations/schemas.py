"""Request and response bodies of the integration endpoints (v1: add fields, never rename)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.triage.schemas import TriageResponse

EventType = Literal["recommendation.created", "recommendation.updated", "decision.recorded"]
DeliveryStatus = Literal["pending", "delivered", "failed", "cancelled"]


class CallVersions(BaseModel):
    """Every stored version of one call, oldest first."""

    call_id: str
    items: list[TriageResponse]


class WebhookIn(BaseModel):
    """An endpoint to register."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="https:// URL that receives POSTed events."
    )
    description: Annotated[str, StringConstraints(max_length=200)] | None = None
    include_narrative: bool = Field(
        default=False,
        description="Send the dispatch note and decision reasons too (off by default: privacy).",
    )
    event_types: list[EventType] | None = Field(
        default=None, min_length=1, description="Events to receive; default: all."
    )


class WebhookOut(BaseModel):
    """A registered endpoint (never its secret, except once at creation)."""

    id: str
    url: str
    description: str | None
    include_narrative: bool
    event_types: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    """The answer to a registration: the signing secret, shown only this once."""

    secret: str = Field(description="HMAC-SHA256 key of Triage-Signature; store it now.")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    """One event to one endpoint and where its delivery stands."""

    id: int
    event_id: str
    event_type: str
    recommendation_id: str
    call_id: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


class RotateSecretIn(BaseModel):
    """How long the previous secret keeps signing beside the new one (0: stop at once)."""

    model_config = ConfigDict(extra="forbid")

    overlap_hours: float = Field(default=24.0, ge=0, le=168)


class RedeliverIn(BaseModel):
    """Which failed deliveries to queue again; none listed: every failed one."""

    model_config = ConfigDict(extra="forbid")

    delivery_ids: list[int] | None = Field(default=None, max_length=1000)
