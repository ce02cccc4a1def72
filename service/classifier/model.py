"""``TriageModel``: the classifier the service loads, and its ``Prediction`` results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from .explain import evidence_phrases, negated_phrases, token_contributions
from .jargon import JargonEntry, entries_from_rows, jargon_rows, merge_jargon
from .normalize import NormalizedNote, NoteNormalizer
from .pipeline import MODEL_TAGS
from .scorer import FastScorer

TAGS = ("mental_health", "drugs", "weapon", "routine")


@dataclass(frozen=True)
class TagResult:
    """One tag of one note."""

    probability: float
    present: bool
    evidence: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
    uncertain: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "probability": round(self.probability, 4),
            "present": self.present,
            "evidence": list(self.evidence),
            "negated": list(self.negated),
            "uncertain": self.uncertain,
        }


@dataclass(frozen=True)
class Prediction:
    """The four tags of one note; ``routine`` is present exactly when no other tag is."""

    tags: dict[str, TagResult]
    model_version: str = ""

    @property
    def present(self) -> list[str]:
        """Names of the present tags, in ``TAGS`` order."""
        return [tag for tag in TAGS if self.tags[tag].present]

    def as_explanation(self) -> dict[str, Any]:
        """JSON-ready explanation: per tag probability, decision, evidence and negations."""
        return {
            "model_version": self.model_version,
            "tags": {tag: self.tags[tag].as_dict() for tag in TAGS},
        }


class TriageModel:
    """A fitted pipeline plus per-tag thresholds, uncertain bands and metadata."""

    def __init__(
        self,
        pipeline: Pipeline,
        thresholds: dict[str, float],
        bands: dict[str, tuple[float, float]],
        metadata: dict[str, Any],
    ) -> None:
        self.pipeline = pipeline
        self.thresholds = {tag: float(thresholds[tag]) for tag in MODEL_TAGS}
        self.bands = {tag: (float(bands[tag][0]), float(bands[tag][1])) for tag in MODEL_TAGS}
        self.metadata = metadata
        self.scorer = FastScorer(pipeline)
        self.normalizer: NoteNormalizer = pipeline.named_steps["normalize"]
        self._threshold_vec = np.array([self.thresholds[t] for t in MODEL_TAGS])

    @property
    def version(self) -> str:
        """The model version recorded in the artifact."""
        return str(self.metadata.get("version", "unversioned"))

    def with_jargon(self, entries: list[JargonEntry]) -> TriageModel:
        """A model reading an agency jargon table merged over the trained one."""
        base = entries_from_rows(self.normalizer.jargon or [])
        clone = TriageModel(self.pipeline, self.thresholds, self.bands, dict(self.metadata))
        clone.normalizer = self.normalizer.with_jargon(merge_jargon(base, entries))
        clone.metadata["jargon_override"] = jargon_rows(entries)
        return clone

    def probabilities(self, texts: Iterable[str]) -> np.ndarray:
        """(notes x 3) probabilities of mental_health, drugs, weapon (fast batch path)."""
        docs = self.normalizer.transform(texts)
        if not docs:
            return np.zeros((0, len(MODEL_TAGS)))
        return _sigmoid(self.scorer.logits_many(docs))

    def classify(self, text: str) -> Prediction:
        """Tags, probabilities and explanations of one note."""
        note = self.normalizer.analyze(text)
        doc = note.features_text()
        logits, values, char_norm = self.scorer.logits_and_parts(doc)
        return self._prediction(text, note, doc, _sigmoid(logits), (values, char_norm))

    def classify_many(self, texts: Sequence[str], explain: bool = True) -> list[Prediction]:
        """``classify`` for many notes; probabilities are computed in one batch."""
        notes = [self.normalizer.analyze(text) for text in texts]
        docs = [note.features_text() for note in notes]
        if not docs:
            return []
        probs = _sigmoid(self.scorer.logits_many(docs))
        if not explain:
            return [self._prediction(None, None, None, p) for p in probs]
        return [
            self._prediction(text, note, doc, p)
            for text, note, doc, p in zip(texts, notes, docs, probs, strict=True)
        ]

    def _prediction(
        self,
        text: str | None,
        note: NormalizedNote | None,
        doc: str | None,
        probs: np.ndarray,
        parts: tuple[dict[int, float], float] | None = None,
    ) -> Prediction:
        """Assemble the four TagResults (explanations only when the note is given)."""
        present = probs >= self._threshold_vec
        contrib = None
        if note is not None and doc is not None and present.any():
            contrib = token_contributions(self.scorer, note, doc, parts)
        results: dict[str, TagResult] = {}
        for k, tag in enumerate(MODEL_TAGS):
            p = float(probs[k])
            lo, hi = self.bands[tag]
            evidence = negated = []
            if text is not None and note is not None:
                if contrib is not None and present[k]:
                    evidence = evidence_phrases(text, note, contrib, k)
                negated = negated_phrases(self.scorer, text, note, k)
            results[tag] = TagResult(p, bool(present[k]), evidence, negated, lo <= p <= hi)
        results["routine"] = TagResult(
            probability=float(np.prod(1.0 - probs)),
            present=not bool(present.any()),
            uncertain=any(r.uncertain for r in results.values()),
        )
        return Prediction(results, self.version)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically safe logistic function."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
