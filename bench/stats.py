"""Percentiles and summaries of latency samples."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0-100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p90, p99, p99.9, max and mean of samples in seconds, reported in milliseconds."""
    values = sorted(seconds)
    if not values:
        return {}
    to_ms = 1000.0
    return {
        "count": len(values),
        "median_ms": round(percentile(values, 50) * to_ms, 4),
        "p90_ms": round(percentile(values, 90) * to_ms, 4),
        "p99_ms": round(percentile(values, 99) * to_ms, 4),
        "p999_ms": round(percentile(values, 99.9) * to_ms, 4),
        "max_ms": round(values[-1] * to_ms, 4),
        "mean_ms": round(sum(values) / len(values) * to_ms, 4),
    }
