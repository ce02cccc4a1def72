"""Compose the drift and adherence report from the database aggregates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.config import Settings
from service.monitoring import queries
from service.monitoring.drift import DriftBounds, shifts_for_day
from service.monitoring.schemas import (
    DayStats,
    DriftAlert,
    DriftBoundsOut,
    DriftReport,
    ModelAdherence,
    OutcomeRates,
)


def bounds_from(settings: Settings) -> DriftBounds:
    """The drift bounds configured for this deployment."""
    return DriftBounds(
        baseline_days=settings.drift_baseline_days,
        max_shift=settings.drift_max_shift,
        min_calls=settings.drift_min_calls,
    )


def today_utc() -> date:
    """Today's UTC date."""
    return datetime.now(UTC).date()


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def day_stats(day: date, counts: dict[str, Any]) -> DayStats:
    """One day's shares from its counts."""
    calls = counts["calls"]
    decided = counts["accepted"] + counts["overridden"]
    return DayStats(
        day=day,
        calls=calls,
        tag_shares={t: _ratio(counts[t], calls) or 0.0 for t in queries.TAGS},
        mode_shares={m: _ratio(n, calls) or 0.0 for m, n in sorted(counts["modes"].items())},
        needs_review_rate=_ratio(counts["needs_review"], calls) or 0.0,
        decided=decided,
        override_rate=_ratio(counts["overridden"], decided),
    )


def daily_series(session: Session, since: date, until: date) -> dict[date, dict[str, Any]]:
    """Counts per day in [since, until), each with its mode counts."""
    series = queries.daily_counts(session, since, until)
    for day, modes in queries.daily_modes(session, since, until).items():
        series.setdefault(day, {"modes": {}})["modes"] = modes
    return series


def find_alerts(
    series: dict[date, dict[str, Any]], days: list[date], bounds: DriftBounds
) -> list[DriftAlert]:
    """Every metric of ``days`` that moved beyond the bounds against its baseline."""
    alerts = []
    for day in days:
        for shift in shifts_for_day(day, series, bounds):
            if shift.alert:
                alerts.append(
                    DriftAlert(
                        day=shift.day,
                        metric=shift.metric,
                        share=round(shift.share, 4),
                        baseline=round(shift.baseline, 4),
                        shift=round(shift.shift, 4),
                        count=shift.count,
                    )
                )
    return alerts


def outcome_rates(rows: list[dict[str, Any]]) -> list[OutcomeRates]:
    """Outcome counts turned into shares of each group's outcomes."""
    flags = (*queries.OUTCOME_FLAGS, *queries.TRANSPORTS)
    result = []
    for row in rows:
        n = row["outcomes"]
        rates = {
            (f if f in queries.OUTCOME_FLAGS else f"transported_to_{f}"): _ratio(row[f], n) or 0.0
            for f in flags
        }
        result.append(
            OutcomeRates(
                response_mode=row["response_mode"],
                decision=row["decision"],
                outcomes=n,
                rates=rates,
            )
        )
    return result


def drift_report(session: Session, settings: Settings, *, since: date, until: date) -> DriftReport:
    """Daily series, adherence per model version, outcomes by mode and alerts for [since, until).

    The console charts this; the API returns it as is.
    """
    bounds = bounds_from(settings)
    series = daily_series(session, since - timedelta(days=bounds.baseline_days), until)
    days = queries.days_between(since, until)
    adherence = [
        ModelAdherence(
            **row, override_rate=_ratio(row["overridden"], row["accepted"] + row["overridden"])
        )
        for row in queries.overrides_by_model(session, since, until)
    ]
    return DriftReport(
        since=since,
        until=until,
        bounds=DriftBoundsOut(**bounds.__dict__),
        days=[day_stats(d, series[d]) for d in days if d in series],
        adherence_by_model_version=adherence,
        outcomes_by_response_mode=outcome_rates(queries.outcomes_by_mode(session, since, until)),
        alerts=find_alerts(series, days, bounds),
    )
