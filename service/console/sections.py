"""The analytics page as a list of sections, each built from pure queries and drawn as charts.

Extension point: another domain adds a section with ``@analytics_section`` (for example the
retraining loop's drift series: tag and mode distributions per model version, outcome rates).
A builder takes a session and a ``Window`` and returns a ``Section``, or None to stay hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.console import analytics
from service.console.analytics import Window
from service.console.charts import Chart, Table, line_chart, rate_bars, stacked_bar_chart
from service.console.service import TAG_NAMES


@dataclass(frozen=True)
class Section:
    """A titled group of charts and tables on the analytics page."""

    title: str
    charts: list[Chart] = field(default_factory=list)
    tables: list[tuple[str, Table]] = field(default_factory=list)
    description: str = ""


SectionBuilder = Callable[[Session, Window], Section | None]
ANALYTICS_SECTIONS: list[SectionBuilder] = []


def analytics_section(builder: SectionBuilder) -> SectionBuilder:
    """Register a section builder; sections appear in registration order."""
    ANALYTICS_SECTIONS.append(builder)
    return builder


def build_sections(session: Session, window: Window) -> list[Section]:
    """Every registered section for the window, skipping those that return None."""
    sections = []
    for builder in ANALYTICS_SECTIONS:
        section = builder(session, window)
        if section is not None:
            sections.append(section)
    return sections


@analytics_section
def volume_section(session: Session, window: Window) -> Section:
    """Calls by tag and by recommended response mode over time."""
    labels = window.labels()
    counts = analytics.counts_by_bucket(session, window)
    by_tag: dict[str, list[float | None]] = {
        tag: [float(counts.by_tag[tag].get(b, 0)) for b in labels] for tag in TAG_NAMES
    }
    by_mode = {
        mode: [per_bucket.get(b, 0) for b in labels]
        for mode, per_bucket in analytics.calls_by_mode(session, window).items()
    }
    unit = "day" if window.bucket == "day" else "hour"
    return Section(
        title="Calls over time",
        description=f"Per {unit}, UTC. A call can carry several tags.",
        charts=[
            line_chart(f"Calls by tag per {unit}", labels, by_tag),
            stacked_bar_chart(f"Calls by recommended response mode per {unit}", labels, by_mode),
        ],
    )


@analytics_section
def review_section(session: Session, window: Window) -> Section:
    """Needs-review rate over time and dispatcher override rates by mode and by tag."""
    labels = window.labels()
    counts = analytics.counts_by_bucket(session, window)
    review: dict[str, list[float | None]] = {
        "needs review": [
            counts.needs_review.get(b, 0) / counts.calls[b] if counts.calls.get(b) else None
            for b in labels
        ]
    }
    by_mode = analytics.override_rate_by_mode(session, window)
    by_tag = analytics.override_rate_by_tag(session, window)
    return Section(
        title="Review and overrides",
        description="Override rate: share of decided calls where the dispatcher changed the "
        "recommended mode or backup (the latest decision counts).",
        charts=[
            line_chart("Share of calls needing review", labels, review, percent=True),
            rate_bars(
                "Override rate by recommended mode", [(r.name, r.hits, r.total) for r in by_mode]
            ),
            rate_bars("Override rate by tag", [(r.name, r.hits, r.total) for r in by_tag]),
        ],
    )


@analytics_section
def versions_section(session: Session, window: Window) -> Section:
    """Which model and policy versions produced the window's recommendations."""
    rows = [
        [
            use.model_version,
            use.policy_version,
            str(use.calls),
            use.first_seen.strftime("%Y-%m-%d %H:%M"),
            use.last_seen.strftime("%Y-%m-%d %H:%M"),
        ]
        for use in analytics.versions_in_use(session, window)
    ]
    table = Table(["model", "policy", "calls", "first (UTC)", "last (UTC)"], rows)
    return Section(title="Models and policies in use", tables=[("Versions", table)])
