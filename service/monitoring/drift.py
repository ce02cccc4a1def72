"""Pure drift arithmetic: a day's shares against a baseline window of the days before it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

TAGS = ("mental_health", "drugs", "weapon", "routine")


@dataclass(frozen=True)
class DriftBounds:
    """When a shift is worth a warning (Settings: drift_*)."""

    baseline_days: int
    max_shift: float
    min_calls: int


@dataclass(frozen=True)
class Shift:
    """One metric of one day compared with its baseline."""

    day: date
    metric: str
    share: float
    baseline: float
    shift: float
    count: int
    judged: bool
    alert: bool


def day_ratios(counts: dict[str, Any], modes: Iterable[str] = ()) -> dict[str, tuple[int, int]]:
    """Each tracked metric of one day as (numerator, denominator).

    ``modes`` lists every mode seen in the comparison, so a mode absent that day counts as 0.
    """
    calls = int(counts.get("calls", 0))
    day_modes = counts.get("modes", {})
    ratios = {f"tag:{t}": (int(counts.get(t, 0)), calls) for t in TAGS}
    ratios |= {f"mode:{m}": (int(day_modes.get(m, 0)), calls) for m in set(modes) | set(day_modes)}
    ratios["needs_review"] = (int(counts.get("needs_review", 0)), calls)
    decided = int(counts.get("accepted", 0)) + int(counts.get("overridden", 0))
    ratios["override_rate"] = (int(counts.get("overridden", 0)), decided)
    return ratios


def shifts_for_day(
    day: date, series: dict[date, dict[str, Any]], bounds: DriftBounds
) -> list[Shift]:
    """Every metric of ``day`` against the pooled ``baseline_days`` before it.

    A metric is judged only when the day and the baseline each have ``min_calls`` in its
    denominator: a quiet night shift is not drift.
    """
    if day not in series:
        return []
    before = [day - timedelta(days=i) for i in range(1, bounds.baseline_days + 1)]
    window_counts = [series[d] for d in before if d in series]
    modes = {m for counts in [series[day], *window_counts] for m in counts.get("modes", {})}
    today = day_ratios(series[day], modes)
    window = [day_ratios(counts, modes) for counts in window_counts]
    shifts = []
    for metric, (num, den) in sorted(today.items()):
        base_num = sum(ratios[metric][0] for ratios in window)
        base_den = sum(ratios[metric][1] for ratios in window)
        if den == 0 or base_den == 0:
            continue
        share, baseline = num / den, base_num / base_den
        judged = den >= bounds.min_calls and base_den >= bounds.min_calls
        alert = judged and abs(share - baseline) > bounds.max_shift
        shifts.append(Shift(day, metric, share, baseline, share - baseline, den, judged, alert))
    return shifts
