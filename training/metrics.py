"""Metrics shared by training, evaluation and the promotion gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MODEL_TAGS = ("mental_health", "drugs", "weapon")
ALL_TAGS = (*MODEL_TAGS, "routine")


def with_routine(matrix: np.ndarray) -> np.ndarray:
    """Append the derived routine column (1 exactly when no other tag is 1)."""
    matrix = np.asarray(matrix).astype(int)
    return np.column_stack([matrix, (matrix.sum(axis=1) == 0).astype(int)])


def tag_scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1, support and confusion counts per tag (all four tags)."""
    truth4, pred4 = with_routine(truth), with_routine(pred)
    out: dict[str, dict[str, float]] = {}
    for k, tag in enumerate(ALL_TAGS):
        t, p = truth4[:, k], pred4[:, k]
        tp = int(((t == 1) & (p == 1)).sum())
        fp = int(((t == 0) & (p == 1)).sum())
        fn = int(((t == 1) & (p == 0)).sum())
        tn = int(((t == 0) & (p == 0)).sum())
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[tag] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": int(t.sum()),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
        }
    return out


def macro_f1(scores: dict[str, dict[str, float]]) -> float:
    """Mean F1 over the four tags."""
    return float(np.mean([scores[tag]["f1"] for tag in ALL_TAGS]))


def brier(truth: np.ndarray, probs: np.ndarray) -> float:
    """Mean Brier score over the three model tags."""
    return float(np.mean((np.asarray(probs) - np.asarray(truth)) ** 2))


@dataclass
class EvalSummary:
    """Headline figures of one model on one labeled set."""

    n: int
    macro_f1: float
    tags: dict[str, dict[str, float]]
    brier: float
    exact_match: float
    by_kind: dict[str, dict[str, float]]
    negation_fully_right: float | None
    decoys_raised: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in artifacts and reports)."""
        return {
            "n": self.n,
            "macro_f1": self.macro_f1,
            "tags": self.tags,
            "brier": self.brier,
            "exact_match": self.exact_match,
            "by_kind": self.by_kind,
            "negation_fully_right": self.negation_fully_right,
            "decoys_raised": self.decoys_raised,
        }


def summarize(
    truth: np.ndarray, pred: np.ndarray, probs: np.ndarray | None, kinds: list[str]
) -> EvalSummary:
    """All headline figures; kinds are the dev-set kinds (or empty strings)."""
    truth, pred = np.asarray(truth).astype(int), np.asarray(pred).astype(int)
    scores = tag_scores(truth, pred)
    exact = (with_routine(truth) == with_routine(pred)).all(axis=1)
    by_kind: dict[str, dict[str, float]] = {}
    for kind in sorted(set(kinds)):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        by_kind[kind] = {"n": len(rows), "fully_right": float(exact[rows].mean())}
    neg = [i for i, k in enumerate(kinds) if k == "negation"]
    decoys = [i for i, k in enumerate(kinds) if k == "decoy" and not truth[i].any()]
    return EvalSummary(
        n=len(truth),
        macro_f1=macro_f1(scores),
        tags=scores,
        brier=brier(truth, probs) if probs is not None else float("nan"),
        exact_match=float(exact.mean()) if len(exact) else 0.0,
        by_kind=by_kind,
        negation_fully_right=float(exact[neg].mean()) if neg else None,
        decoys_raised=float(pred[decoys].any(axis=1).mean()) if decoys else None,
    )
