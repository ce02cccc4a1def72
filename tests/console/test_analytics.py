"""Analytics queries on SQLite and PostgreSQL, and the charts drawn from them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from service import db
from service.console import analytics
from service.console.charts import line_chart, nice_max, rate_bars, stacked_bar_chart
from service.console.sections import build_sections
from tests.console.conftest import store_decision, store_recommendation

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def _window() -> analytics.Window:
    return analytics.window_for("7d", now=NOW)


def _seed() -> None:
    yesterday = NOW - DAY
    a = store_recommendation(
        weapon=True,
        response_mode="armed_response",
        backup_level=2,
        needs_review=True,
        created_at=yesterday,
    )
    b = store_recommendation(mental_health=True, response_mode="crisis_team", created_at=yesterday)
    c = store_recommendation(created_at=NOW - timedelta(hours=1), model_version="m2")
    store_recommendation(created_at=NOW - timedelta(days=10))  # outside the window
    store_recommendation(created_at=NOW + timedelta(hours=1))  # after the window's end
    store_decision(a, "accepted")
    store_decision(b, "overridden", response_mode="co_responder")
    store_decision(c, "accepted")


def test_counts_by_day_and_tag(configured):
    _seed()
    with db.session_scope() as session:
        counts = analytics.counts_by_bucket(session, _window())
        by_mode = analytics.calls_by_mode(session, _window())
    assert counts.calls == {"2026-11-25": 2, "2026-11-26": 1}
    assert counts.by_tag["weapon"] == {"2026-11-25": 1, "2026-11-26": 0}
    assert counts.by_tag["routine"]["2026-11-26"] == 1
    assert counts.needs_review == {"2026-11-25": 1, "2026-11-26": 0}
    assert by_mode == {
        "armed_response": {"2026-11-25": 1},
        "crisis_team": {"2026-11-25": 1},
        "patrol": {"2026-11-26": 1},
    }


def test_hour_buckets(configured):
    _seed()
    with db.session_scope() as session:
        counts = analytics.counts_by_bucket(session, analytics.window_for("24h", now=NOW))
    assert counts.calls == {"2026-11-25 15:00": 2, "2026-11-26 14:00": 1}


def test_override_rates_by_mode_and_tag(configured):
    _seed()
    store_recommendation(response_mode="crisis_team", created_at=NOW - DAY)  # pending: not counted
    with db.session_scope() as session:
        by_mode = {
            r.name: (r.hits, r.total) for r in analytics.override_rate_by_mode(session, _window())
        }
        by_tag = {
            r.name: (r.hits, r.total) for r in analytics.override_rate_by_tag(session, _window())
        }
    assert by_mode == {"armed_response": (0, 1), "crisis_team": (1, 1), "patrol": (0, 1)}
    assert by_tag == {"mental_health": (1, 1), "drugs": (0, 0), "weapon": (0, 1), "routine": (0, 1)}


def test_summary_and_versions(configured):
    _seed()
    with db.session_scope() as session:
        summary = analytics.summary(session, _window())
        versions = analytics.versions_in_use(session, _window())
    assert (
        summary.calls,
        summary.needs_review,
        summary.decided,
        summary.overridden,
        summary.pending,
    ) == (3, 1, 3, 1, 0)
    assert [(v.model_version, v.calls) for v in versions] == [("m2", 1), ("m1", 2)]


def test_window_labels_cover_empty_buckets():
    labels = _window().labels()
    assert labels[0] == "2026-11-19" and labels[-1] == "2026-11-26" and len(labels) == 8
    assert len(analytics.window_for("24h", now=NOW).labels()) == 25
    assert analytics.window_for("bogus", now=NOW).name == analytics.DEFAULT_RANGE


def test_sections_render_on_an_empty_database(configured):
    with db.session_scope() as session:
        sections = build_sections(session, _window())
    assert [s.title for s in sections][:3] == [
        "Calls over time",
        "Review and overrides",
        "Models and policies in use",
    ]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_charts_are_valid_svg_and_escape_names():
    labels = ["2026-11-25", "2026-11-26"]
    line = line_chart("Calls <by> tag", labels, {"weapon": [1, 3], "x<y": [None, 2]})
    bars = stacked_bar_chart("Modes", labels, {"patrol": [2, 0], "a&b": [1, 4]})
    rates = rate_bars("Override rate", [("patrol", 1, 4), ("ems", 0, 0)])
    for chart in (line, bars, rates):
        root = _parse(str(chart.svg))
        assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "Calls &lt;by&gt; tag" in str(line.svg)
    assert len(_parse(str(bars.svg)).findall("{http://www.w3.org/2000/svg}rect")) == 3
    assert rates.table.rows == [["patrol", "1", "4", "25.0%"], ["ems", "0", "0", "–"]]
    assert line.table.rows[1] == ["2026-11-26", "3", "2"]


def test_rate_bar_names_as_long_as_a_model_version_fit_left_of_the_bars():
    name = "triage-default-a4fed418e1e1"  # the analytics' "Override rate by model version"
    chart = rate_bars("Override rate by model version", [(name, 2, 3), ("m7", 0, 1)])
    svg = "{http://www.w3.org/2000/svg}"
    root = _parse(str(chart.svg))
    (label,) = [t for t in root.iter(f"{svg}text") if t.text == name]
    bar_start = min(float(r.get("x")) for r in root.iter(f"{svg}rect"))
    # right-aligned at x: at about 6.5px a character (12px text) it must not start before 0
    assert label.get("text-anchor") == "end"
    assert float(label.get("x")) >= 6.5 * len(name)
    assert bar_start > float(label.get("x"))


def test_axis_maximum_is_round():
    assert [nice_max(v) for v in (0, 3, 5, 9, 41, 99)] == [4, 4, 8, 12, 60, 100]
