"""Building predictions for policy tests.

Uses the classifier's own ``TagResult``/``Prediction`` when the package provides them, so the
tests exercise the real types; falls back to minimal stand-ins with the same fields otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

TAGS = ("mental_health", "drugs", "weapon")


@dataclass(frozen=True)
class _TagResult:
    probability: float
    present: bool
    evidence: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
    uncertain: bool = False


@dataclass(frozen=True)
class _Prediction:
    tags: dict[str, Any]


@cache
def _classes() -> tuple[Any, Any]:
    try:
        from service.classifier import Prediction, TagResult  # type: ignore[attr-defined]
    except ImportError:
        return _TagResult, _Prediction
    return TagResult, Prediction


def tag(probability: float, present: bool, uncertain: bool = False) -> Any:
    """One TagResult."""
    tag_result, _ = _classes()
    return tag_result(
        probability=probability, present=present, evidence=[], negated=[], uncertain=uncertain
    )


def prediction(
    present: set[str] | frozenset[str] = frozenset(),
    *,
    probabilities: dict[str, float] | None = None,
    uncertain: set[str] | frozenset[str] = frozenset(),
) -> Any:
    """A consistent Prediction: routine is present exactly when no other tag is."""
    probabilities = probabilities or {}
    tags = {}
    for name in TAGS:
        default = 0.9 if name in present else 0.05
        tags[name] = tag(probabilities.get(name, default), name in present, name in uncertain)
    routine = not any(name in present for name in TAGS)
    tags["routine"] = tag(
        probabilities.get("routine", 0.9 if routine else 0.1), routine, "routine" in uncertain
    )
    return _build(tags)


def _build(tags: dict[str, Any]) -> Any:
    _, prediction_cls = _classes()
    try:
        return prediction_cls(tags=tags)
    except TypeError:
        return _Prediction(tags=tags)
