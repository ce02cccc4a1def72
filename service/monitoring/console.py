"""The console's analytics page: a "Drift and adherence" section built from the drift report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from service.config import get_settings
from service.console.analytics import Window
from service.console.charts import Table, rate_bars
from service.console.sections import Section, analytics_section
from service.monitoring.schemas import DriftReport
from service.monitoring.service import drift_report

OUTCOME_COLUMNS = (
    ("force_used", "force"),
    ("injuries", "injuries"),
    ("arrest", "arrest"),
    ("transported_to_hospital", "hospital"),
    ("transported_to_crisis_center", "crisis center"),
    ("transported_to_jail", "jail"),
    ("resolved_without_police", "no police needed"),
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def alerts_table(report: DriftReport) -> Table:
    """Each day and metric that moved beyond the bound, against its baseline."""
    rows = [
        [a.day.isoformat(), a.metric, _pct(a.share), _pct(a.baseline), f"{a.shift:+.2f}"]
        for a in report.alerts
    ]
    headers = ["day (UTC)", "metric", "share", "baseline", "shift"]
    return Table(headers, rows, empty="No day moved beyond the drift bounds.")


def outcomes_table(report: DriftReport) -> Table:
    """Outcome rates by the mode dispatched and whether the recommendation was followed."""
    rows = [
        [o.response_mode, o.decision, str(o.outcomes)]
        + [_pct(o.rates[key]) for key, _ in OUTCOME_COLUMNS]
        for o in report.outcomes_by_response_mode
    ]
    headers = ["mode dispatched", "decision", "outcomes", *(h for _, h in OUTCOME_COLUMNS)]
    return Table(headers, rows, empty="No outcome reported in this range.")


@analytics_section
def drift_section(session: Session, window: Window) -> Section:
    """Override rate per model version, outcome rates by mode, and drift alerts."""
    since = window.start.date()
    until = window.end.date() + timedelta(days=1)
    report = drift_report(session, get_settings(), since=since, until=until)
    adherence = rate_bars(
        "Override rate by model version",
        [
            (m.model_version, m.overridden, m.accepted + m.overridden)
            for m in report.adherence_by_model_version
        ],
    )
    bounds = report.bounds
    return Section(
        title="Drift and adherence",
        description=(
            f"A day is flagged when a tag or mode share, the review rate or the override rate "
            f"moves more than {bounds.max_shift * 100:.0f} points from the "
            f"{bounds.baseline_days} days before it (days with fewer than {bounds.min_calls} "
            "calls are not judged). Outcomes count the latest report of each call."
        ),
        charts=[adherence],
        tables=[
            ("Drift alerts", alerts_table(report)),
            ("Outcomes by response mode", outcomes_table(report)),
        ],
    )
