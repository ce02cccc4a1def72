"""Charts as inline SVG, drawn on the server: no script, no external library, no network.

Every chart comes with a legend (in HTML, beside it) and the same figures as a table, so a
screen reader or a colour-blind reader gets the numbers; lines also differ by dash pattern.
Colours are dark enough for 3:1 contrast on white (WCAG 1.4.11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 34
PALETTE = ("#0b5cad", "#b3261e", "#0b6e4f", "#6a3d9a", "#8a4b00", "#44546a", "#a0197a", "#006d75")
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 4", "1 2")
MODE_COLORS = {  # the default policy's modes keep their colours in every chart
    "patrol": "#44546a",
    "crisis_team": "#0b6e4f",
    "co_responder": "#6a3d9a",
    "ems": "#0b5cad",
    "armed_response": "#b3261e",
    "armed_crisis_response": "#8a4b00",
}
TAG_COLORS = {
    "mental_health": "#6a3d9a",
    "drugs": "#0b6e4f",
    "weapon": "#b3261e",
    "routine": "#44546a",
}


@dataclass(frozen=True)
class LegendItem:
    """A series name, its colour and its dash pattern."""

    name: str
    color: str
    dash: str = ""


@dataclass(frozen=True)
class Table:
    """A chart's figures as rows of text."""

    headers: list[str]
    rows: list[list[str]]
    empty: str = "No calls in this range."  # shown instead of rows when there are none


@dataclass(frozen=True)
class Chart:
    """A rendered chart: title, SVG, legend and the table of its figures."""

    title: str
    svg: Markup
    table: Table
    legend: list[LegendItem] = field(default_factory=list)
    note: str = ""


def color_for(name: str, index: int) -> str:
    """The colour of a series: tags and default modes keep theirs, others cycle the palette."""
    return TAG_COLORS.get(name) or MODE_COLORS.get(name) or PALETTE[index % len(PALETTE)]


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` whose quarters are round too.

    Counts get whole-number ticks: the step is a round multiple of a power of ten.
    """
    raw_step = value / 4
    if raw_step <= 1:
        return 4.0
    power = 10 ** math.floor(math.log10(raw_step))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * power
        if raw_step <= step and step == int(step):
            return float(step * 4)
    return float(10 * power * 4)


def short_label(label: str) -> str:
    """``2026-11-26`` -> ``11-26``; ``2026-11-26 14:00`` -> ``14:00``."""
    return label[11:] if len(label) > 10 else label[5:]


def _svg(title: str, body: list[str], height: int = HEIGHT) -> Markup:
    text = escape(title)
    # Every piece of text in ``body`` went through escape(); the rest is numbers and colours.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{text}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{text}</title>{''.join(body)}</svg>"
    )


def _y_axis(y_max: float, percent: bool) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = y_max * i / 4
        y = TOP + plot_h - plot_h * i / 4
        text = f"{value * 100:.0f}%" if percent else f"{value:g}"
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>'
        )
    return parts


def _x_labels(labels: Sequence[str], x_of: list[float]) -> list[str]:
    step = max(1, math.ceil(len(labels) / 8))
    parts = []
    for i in range(0, len(labels), step):
        parts.append(
            f'<text class="tick" x="{x_of[i]:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape(short_label(labels[i]))}</text>'
        )
    return parts


def _slots(count: int) -> tuple[list[float], float]:
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(count, 1)
    return [LEFT + slot * (i + 0.5) for i in range(count)], slot


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, list[float | None]],
    *,
    percent: bool = False,
) -> Chart:
    """One line per series over the time buckets; gaps where a value is None."""
    values = [v for vals in series.values() for v in vals if v is not None]
    y_max = 1.0 if percent else nice_max(max(values, default=0))
    x_of, _slot = _slots(len(labels))
    plot_h = HEIGHT - TOP - BOTTOM
    body = _y_axis(y_max, percent) + _x_labels(labels, x_of)
    legend = []
    for index, (name, vals) in enumerate(series.items()):
        color, dash = color_for(name, index), DASHES[index % len(DASHES)]
        legend.append(LegendItem(name, color, dash))
        points = [
            (x_of[i], TOP + plot_h - plot_h * v / y_max)
            for i, v in enumerate(vals)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2.5" '
                f'stroke-dasharray="{dash}" points="{path}"/>'
            )
        body.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>' for x, y in points
        )
    table = Table(
        ["bucket", *series.keys()],
        [
            [label, *(_fmt(vals[i], percent) for vals in series.values())]
            for i, label in enumerate(labels)
        ],
    )
    return Chart(title, _svg(title, body), table, legend)


def stacked_bar_chart(title: str, labels: Sequence[str], series: dict[str, list[int]]) -> Chart:
    """Bars per time bucket, stacked by series (the series partition the total)."""
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(labels))]
    y_max = nice_max(max(totals, default=0))
    x_of, slot = _slots(len(labels))
    bar_w = max(1.0, min(slot * 0.7, 40.0))
    plot_h = HEIGHT - TOP - BOTTOM
    body = _y_axis(y_max, False) + _x_labels(labels, x_of)
    legend = [LegendItem(name, color_for(name, i)) for i, name in enumerate(series)]
    for i in range(len(labels)):
        base = float(TOP + plot_h)
        for item, vals in zip(legend, series.values(), strict=True):
            height = plot_h * vals[i] / y_max
            if height <= 0:
                continue
            base -= height
            body.append(
                f'<rect x="{x_of[i] - bar_w / 2:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{height:.1f}" fill="{item.color}" stroke="#ffffff" stroke-width="0.5">'
                f"<title>{escape(labels[i])} {escape(item.name)}: {vals[i]}</title></rect>"
            )
    table = Table(
        ["bucket", *series.keys(), "total"],
        [
            [label, *(str(vals[i]) for vals in series.values()), str(totals[i])]
            for i, label in enumerate(labels)
        ],
    )
    return Chart(title, _svg(title, body), table, legend)


def rate_bars(title: str, rates: Sequence[tuple[str, int, int]]) -> Chart:
    """Horizontal bars of hits/total per name, 0-100 %, with the counts written beside."""
    row_h = 26
    # Names are right-aligned before the bars: leave room for the longest (12px text, about
    # 7px a character), so a model version such as triage-default-a4fed418e1e1 is not cut.
    longest = max((len(name) for name, _, _ in rates), default=0)
    label_w = max(150, min(320, 16 + 7 * longest))
    height = TOP + row_h * max(len(rates), 1) + 24
    plot_w = WIDTH - label_w - 110
    body = []
    for i, (name, hits, total) in enumerate(rates):
        y = TOP + i * row_h
        share = hits / total if total else 0.0
        text = f"{share * 100:.0f}%  ({hits} of {total})" if total else "no decisions"
        body.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect class="track" x="{label_w}" y="{y + 4}" width="{plot_w}" height="16"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w * share:.1f}" height="16" '
            f'fill="{PALETTE[0]}"/>'
            f'<text class="value" x="{label_w + plot_w + 6}" y="{y + 16}">{text}</text>'
        )
    table = Table(
        ["", "overridden", "decided", "rate"],
        [[n, str(h), str(t), _fmt(h / t if t else None, True)] for n, h, t in rates],
    )
    return Chart(title, _svg(title, body, height), table)


def _fmt(value: float | None, percent: bool) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%" if percent else f"{value:g}"
