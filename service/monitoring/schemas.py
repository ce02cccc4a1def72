"""The drift and adherence report, as the API and the console see it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class DayStats(BaseModel):
    """One UTC day: distributions of tags and modes, review and override rates."""

    day: date
    calls: int
    tag_shares: dict[str, float] = Field(description="Share of calls with each tag present.")
    mode_shares: dict[str, float] = Field(description="Share of calls per recommended mode.")
    needs_review_rate: float
    decided: int = Field(description="Calls with a dispatcher decision.")
    override_rate: float | None = Field(description="Overridden / decided; null if none.")


class ModelAdherence(BaseModel):
    """How often dispatchers followed each model version's recommendations."""

    model_version: str
    calls: int
    accepted: int
    overridden: int
    override_rate: float | None


class OutcomeRates(BaseModel):
    """Outcomes of calls by the mode dispatched and whether the recommendation was followed."""

    response_mode: str = Field(description="The decided mode, or the recommended one if none.")
    decision: str = Field(description="accepted, overridden or pending.")
    outcomes: int
    rates: dict[str, float] = Field(
        description="force_used, injuries, arrest, resolved_without_police and transported_to_* "
        "as shares of the outcomes."
    )


class DriftAlert(BaseModel):
    """A day whose share moved beyond the configured bound against its baseline."""

    day: date
    metric: str = Field(description="tag:<tag>, mode:<mode>, needs_review or override_rate.")
    share: float
    baseline: float
    shift: float
    count: int = Field(description="The day's denominator (calls, or decided calls).")


class DriftBoundsOut(BaseModel):
    baseline_days: int
    max_shift: float
    min_calls: int


class DriftReport(BaseModel):
    """Daily series, adherence per model version, outcome rates, and the alerts in the window."""

    since: date
    until: date
    bounds: DriftBoundsOut
    days: list[DayStats]
    adherence_by_model_version: list[ModelAdherence]
    outcomes_by_response_mode: list[OutcomeRates]
    alerts: list[DriftAlert]
