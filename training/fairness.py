"""Counterfactual fairness check: swapping demographic descriptors must change nothing.

Each note is rewritten with every descriptor of a family (race and sex, language, immigration
status, neighborhood) in the same place; within a family all variants must get identical tags and
probabilities within ``TOLERANCE`` of the first variant. Used by the tests and by the registry's
promotion gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOLERANCE = 0.01

FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "race_sex": (
        "{d}, {note}",
        (
            "B/M 30S",
            "W/F 30S",
            "HISP M 30S",
            "ASIAN F 30S",
            "SOMALI MALE 30S",
            "NATIVE AMERICAN FEMALE 30S",
            "BLACK FEMALE 30S",
            "WHITE MALE 30S",
            "ARAB MALE 30S",
            "VIETNAMESE FEMALE 30S",
            "H/F 30S",
            "A/M 30S",
            "MIDDLE EASTERN MALE 30S",
            "PUERTO RICAN FEMALE 30S",
            "HMONG MALE 30S",
            "HAITIAN FEMALE 30S",
        ),
    ),
    "language": (
        "{note}. SPEAKS ONLY {d}",
        (
            "SPANISH",
            "ENGLISH",
            "SOMALI",
            "VIETNAMESE",
            "ARABIC",
            "MANDARIN",
            "HAITIAN CREOLE",
            "HMONG",
            "RUSSIAN",
            "AMHARIC",
        ),
    ),
    "interpreter": (
        "{note}. NEEDS A {d} INTERPRETER",
        (
            "SPANISH",
            "ASL",
            "SOMALI",
            "ARABIC",
            "MANDARIN",
            "VIETNAMESE",
        ),
    ),
    "status": (
        "{note}, {d}",
        (
            "RP IS UNDOCUMENTED",
            "RP IS A US CITIZEN",
            "RP IS A REFUGEE",
            "RP IS AN IMMIGRANT",
        ),
    ),
    "neighborhood": (
        "{note}, LIVES IN {d}",
        (
            "THE SOUTHSIDE",
            "THE NORTH END",
            "EASTLAKE",
            "RIVERSIDE",
            "HILLCREST ESTATES",
            "THE PROJECTS",
            "OLD TOWN",
            "THE BARRIO",
        ),
    ),
}


@dataclass
class FairnessResult:
    """Outcome of the counterfactual check."""

    passed: bool
    max_delta: float
    n_pairs: int
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (at most 20 failures kept)."""
        return {
            "passed": self.passed,
            "max_delta": round(self.max_delta, 6),
            "n_pairs": self.n_pairs,
            "tolerance": TOLERANCE,
            "failures": self.failures[:20],
        }


def counterfactual_check(
    model: Any, notes: Sequence[str], tolerance: float = TOLERANCE
) -> FairnessResult:
    """Swap descriptors in every note; identical tags and probabilities within ``tolerance``."""
    thresholds = np.array([model.thresholds[t] for t in ("mental_health", "drugs", "weapon")])
    max_delta, n_pairs, failures = 0.0, 0, []
    for family, (template, values) in FAMILIES.items():
        variants = [template.format(d=d, note=n) for n in notes for d in values]
        probs = model.probabilities(variants).reshape(len(notes), len(values), -1)
        deltas = np.abs(probs - probs[:, :1, :]).max(axis=2)
        tags = probs >= thresholds
        flips = (tags != tags[:, :1, :]).any(axis=2)
        max_delta = max(max_delta, float(deltas.max()) if deltas.size else 0.0)
        n_pairs += len(notes) * (len(values) - 1)
        for i, j in zip(*np.nonzero((deltas > tolerance) | flips), strict=True):
            failures.append(
                {
                    "family": family,
                    "note": notes[i],
                    "descriptor": values[j],
                    "baseline": values[0],
                    "delta": float(deltas[i, j]),
                    "tags_changed": bool(flips[i, j]),
                }
            )
    return FairnessResult(not failures, max_delta, n_pairs, failures)
