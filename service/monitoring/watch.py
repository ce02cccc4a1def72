"""Periodic drift check in every process: a Prometheus gauge and a structured warning."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from prometheus_client import Gauge

from service.monitoring.drift import Shift, shifts_for_day
from service.monitoring.service import bounds_from, daily_series, today_utc
from service.runtime import Runtime, reloader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = structlog.get_logger("service.monitoring")

DRIFT_SHIFT = Gauge(
    "triage_drift_shift",
    "Latest judged day's share minus its baseline share, per metric (tag:, mode:, ...).",
    ["metric"],
    multiprocess_mode="mostrecent",
)
DRIFT_ALERT = Gauge(
    "triage_drift_alert",
    "1 when the latest judged day's shift is beyond TRIAGE_DRIFT_MAX_SHIFT.",
    ["metric"],
    multiprocess_mode="max",
)


class WatchState:
    """When this process last checked, and which (day, metric) alerts it already logged."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the last check and the alerts already logged."""
        self.last_check = 0.0
        self.warned: set[tuple[str, str]] = set()


STATE = WatchState()


def recent_shifts(session: Session, runtime: Runtime) -> list[Shift]:
    """Shifts of yesterday (the last complete day) and today so far."""
    bounds = bounds_from(runtime.settings)
    today = today_utc()
    series = daily_series(
        session, today - timedelta(days=bounds.baseline_days + 1), today + timedelta(days=1)
    )
    days = (today - timedelta(days=1), today)
    return [shift for day in days for shift in shifts_for_day(day, series, bounds)]


def publish(shifts: list[Shift]) -> None:
    """Set the gauges from the latest judged day of each metric; warn once per day and metric."""
    latest = {s.metric: s for s in shifts if s.judged}  # shifts are in day order
    for metric, shift in latest.items():
        DRIFT_SHIFT.labels(metric=metric).set(round(shift.shift, 4))
        DRIFT_ALERT.labels(metric=metric).set(1 if shift.alert else 0)
    for shift in shifts:
        key = (shift.day.isoformat(), shift.metric)
        if shift.alert and key not in STATE.warned:
            STATE.warned.add(key)
            log.warning(
                "drift_alert",
                day=key[0],
                metric=shift.metric,
                share=round(shift.share, 4),
                baseline=round(shift.baseline, 4),
                shift=round(shift.shift, 4),
                count=shift.count,
            )


@reloader
def check_drift(runtime: Runtime, session: Session) -> None:
    """Every ``drift_check_interval_seconds``: recompute recent shifts, publish, warn."""
    now = time.monotonic()
    if STATE.last_check and now - STATE.last_check < runtime.settings.drift_check_interval_seconds:
        return
    STATE.last_check = now
    publish(recent_shifts(session, runtime))
