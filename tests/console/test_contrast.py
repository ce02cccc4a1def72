"""The console's colours meet WCAG 2.1 AA: 4.5:1 for text, 3:1 for chart marks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.console.charts import MODE_COLORS, PALETTE, TAG_COLORS

CSS = (Path(__file__).resolve().parents[2] / "service/console/static/console.css").read_text()
VARS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))

# (text, background) pairs the console actually draws.
TEXT_PAIRS = [
    ("ink", "paper"),
    ("muted", "paper"),
    ("muted", "shade"),
    ("muted", "review-bg"),
    ("muted", "select"),
    ("ink", "select"),
    ("ink", "review-bg"),
    ("accent", "paper"),
    ("accent-ink", "accent"),
    ("review-ink", "review-bg"),
    ("ok", "paper"),
    ("bad", "paper"),
    ("weapon-ink", "weapon-bg"),
    ("mh-ink", "mh-bg"),
    ("drugs-ink", "drugs-bg"),
    ("routine-ink", "routine-bg"),
    ("routine-ink", "shade"),
    ("ink", "weapon-bg"),
    ("ink", "mh-bg"),
    ("ink", "drugs-bg"),
    ("weapon-ink", "paper"),
    ("ok", "review-bg"),
]
LITERAL_PAIRS = [
    ("#ffffff", "#1c2733"),
    ("#d5dde6", "#1c2733"),
    ("#ffffff", "#3a4d62"),
    ("#ffffff", "#7a4a00"),
    ("#ffffff", VARS["review-line"]),
    ("#ffffff", VARS["bad"]),
    ("#7a1f9a", "#ffffff"),
    ("#7a1f9a", VARS["select"]),
    ("#7a1f9a", VARS["review-bg"]),
]


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("text", "background"), TEXT_PAIRS)
def test_text_colours_reach_aa(text, background):
    assert contrast(VARS[text], VARS[background]) >= 4.5


@pytest.mark.parametrize(("text", "background"), LITERAL_PAIRS)
def test_fixed_colours_reach_aa(text, background):
    assert contrast(text, background) >= 4.5


def test_chart_marks_stand_out_from_white():
    for color in (*PALETTE, *TAG_COLORS.values(), *MODE_COLORS.values()):
        assert contrast(color, "#ffffff") >= 3.0, color


def test_known_ratio():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
