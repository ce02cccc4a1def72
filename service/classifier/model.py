"""``TriageModel``: the classifier the service loads, and its ``Prediction`` results."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from . import lexicon
from .explain import all_negated_phrases, contributions, evidence_phrases
from .jargon import JargonEntry, entries_from_rows, jargon_rows, merge_jargon
from .normalize import SCOPE_PREFIX, NormalizedNote, NoteNormalizer
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
    # (recognized, content): how many of the note's words the model knows, of its words that
    # are not function words or placeholders; None when not counted (``explain=False``).
    words: tuple[int, int] | None = None

    @property
    def present(self) -> list[str]:
        """Names of the present tags, in ``TAGS`` order."""
        return [tag for tag in TAGS if self.tags[tag].present]

    def as_explanation(self) -> dict[str, Any]:
        """JSON-ready explanation: per tag probability, decision, evidence and negations."""
        return {
            "model_version": self.model_version,
            "tags": {tag: self.tags[tag].as_dict() for tag in TAGS},
            **(
                {}
                if self.words is None
                else {"words": dict(zip(_WORDS_KEYS, self.words, strict=True))}
            ),
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
        self._threshold_list = [self.thresholds[t] for t in MODEL_TAGS]
        self._band_items = [(t, self.bands[t]) for t in MODEL_TAGS]
        self._word_kinds = WordKinds(known_vocabulary(pipeline))

    @property
    def version(self) -> str:
        """The model version recorded in the artifact."""
        return str(self.metadata.get("version", "unversioned"))

    def with_jargon(self, entries: list[JargonEntry]) -> TriageModel:
        """A model reading an agency jargon table merged over the trained one."""
        base = entries_from_rows(self.normalizer.jargon or [])
        clone = TriageModel(self.pipeline, self.thresholds, self.bands, dict(self.metadata))
        clone.normalizer = self.normalizer.with_jargon(merge_jargon(base, entries))
        clone._word_kinds = self._word_kinds
        clone.metadata["jargon_override"] = jargon_rows(entries)
        return clone

    def probabilities(self, texts: Iterable[str]) -> np.ndarray:
        """(notes x 3) probabilities of mental_health, drugs, weapon (fast batch path)."""
        with _gc_paused():
            notes = self.normalizer.transform_tokens(texts)
            if not notes:
                return np.zeros((0, len(MODEL_TAGS)))
            return _sigmoid(self.scorer.logits_many_tokens(notes))

    def classify(self, text: str) -> Prediction:
        """Tags, probabilities and explanations of one note."""
        note = self.normalizer.analyze(text)
        tokens = note.feature_tokens()
        logits, feats, char_norm = self.scorer.logits_of_tokens(tokens, spots=True)
        probs = _sigmoid_floats(logits)
        present = [p >= t for p, t in zip(probs, self._threshold_list, strict=True)]
        contrib = None
        if True in present:
            contrib = contributions(self.scorer, note, tokens, feats, char_norm)
        return self._prediction(text, note, probs, present, contrib)

    def classify_many(self, texts: Sequence[str], explain: bool = True) -> list[Prediction]:
        """``classify`` for many notes; probabilities are computed in one batch."""
        if not explain:
            probs = self.probabilities(texts)
            with _gc_paused():
                return self._predictions(probs)
        notes = [self.normalizer.analyze(text) for text in texts]
        tokens = [note.feature_tokens() for note in notes]
        if not notes:
            return []
        probs = _sigmoid(self.scorer.logits_many_tokens(tokens))
        out = []
        thresholds = self._threshold_list
        for text, note, note_tokens, p in zip(texts, notes, tokens, probs.tolist(), strict=True):
            present = [q >= t for q, t in zip(p, thresholds, strict=True)]
            contrib = None
            if True in present:
                _, feats, char_norm = self.scorer.logits_of_tokens(note_tokens, spots=True)
                contrib = contributions(self.scorer, note, note_tokens, feats, char_norm)
            out.append(self._prediction(text, note, p, present, contrib))
        return out

    def _predictions(self, probs: np.ndarray) -> list[Prediction]:
        """Predictions without explanations, for a (notes x 3) probability array."""
        if not len(probs):
            return []
        present = (probs >= self._threshold_vec).tolist()
        routine = np.prod(1.0 - probs, axis=1).tolist()
        bands = [self.bands[tag] for tag in MODEL_TAGS]
        version = self.version
        out = []
        new = object.__new__
        for row, flags, p_routine in zip(probs.tolist(), present, routine, strict=True):
            results: dict[str, TagResult] = {}
            uncertain = False
            for tag, p, flag, (lo, hi) in zip(MODEL_TAGS, row, flags, bands, strict=True):
                empty: list[str] = []
                # What TagResult(p, flag, empty, empty, band) stores, without the frozen
                # dataclass __init__ (one object.__setattr__ per field: a fifth of the batch).
                result = new(TagResult)
                result.__dict__.update(
                    probability=p, present=flag, evidence=empty, negated=empty,
                    uncertain=lo <= p <= hi,
                )  # fmt: skip
                results[tag] = result
                uncertain = uncertain or lo <= p <= hi
            routine_result = new(TagResult)
            routine_result.__dict__.update(
                probability=p_routine, present=not any(flags), evidence=[], negated=[],
                uncertain=uncertain,
            )  # fmt: skip
            results["routine"] = routine_result
            prediction = new(Prediction)
            prediction.__dict__.update(tags=results, model_version=version)
            out.append(prediction)
        return out

    def _prediction(
        self,
        text: str,
        note: NormalizedNote,
        probs: list[float],
        present: list[bool],
        contrib: np.ndarray | None,
    ) -> Prediction:
        """Assemble the four TagResults with their evidence and negated cues (``probs`` and
        ``present`` as Python floats and bools, in ``MODEL_TAGS`` order)."""
        negated = all_negated_phrases(self.scorer, text, note)
        results: dict[str, TagResult] = {}
        uncertain = False
        routine = 1.0
        for k, (tag, (lo, hi)) in enumerate(self._band_items):
            p = probs[k]
            evidence: list[str] = []
            if contrib is not None and present[k]:
                evidence = evidence_phrases(text, note, contrib, k)
            in_band = lo <= p <= hi
            results[tag] = _tag_result(p, present[k], evidence, negated[k], in_band)
            uncertain = uncertain or in_band
            routine *= 1.0 - p  # (what ``np.prod(1.0 - probs)`` computes, in the same order)
        results["routine"] = _tag_result(routine, True not in present, [], [], uncertain)
        prediction = object.__new__(Prediction)
        words = self._word_kinds.count(note.tokens)
        prediction.__dict__.update(tags=results, model_version=self.version, words=words)
        return prediction


_WORDS_KEYS = ("recognized", "content")


def known_vocabulary(pipeline: Pipeline) -> frozenset[str]:
    """Words the model knows: the normalizer's vocabulary (words seen in training) and every
    single word with a weight in the word block (scope prefixes such as ``neg_`` removed)."""
    normalizer = pipeline.named_steps["normalize"]
    known = set(getattr(normalizer, "known_words_", np.array([], dtype=str)).tolist())
    blocks = dict(pipeline.named_steps["features"].transformer_list)
    prefixes = tuple(SCOPE_PREFIX.values())
    for term in getattr(blocks.get("word"), "vocabulary_", {}):
        if " " in term:
            continue
        for prefix in prefixes:
            term = term.removeprefix(prefix)
        known.add(term)
    return frozenset(known)


class WordKinds:
    """Counts a note's content words and how many of them the model knows.

    Content words are alphabetic tokens of two letters or more that are not stop words
    (function words, reporting verbs, negation cues; demographic words were already made
    neutral); recognized ones are in ``known``. Typos the normalizer restored count as the
    word they restore. Each word's kind is cached (dispatch vocabulary repeats), so a note
    costs one C-level pass over its tokens.
    """

    OTHER, UNKNOWN, KNOWN = 0, 1, 2
    _LIMIT = 200_000
    # What a kind adds to a note's total: content words in the low 32 bits, known ones above.
    _CODES = (0, 1, 1 + (1 << 32))

    def __init__(self, known: frozenset[str]) -> None:
        self.known = known
        self.codes: dict[str, int] = {}  # token -> its kind's code

    def kind(self, token: str) -> int:
        """OTHER, UNKNOWN or KNOWN for one normalized token (and cache it)."""
        if len(token) < 2 or not token.isalpha() or token in lexicon.STOPWORDS:
            found = self.OTHER
        else:
            found = self.KNOWN if token in self.known else self.UNKNOWN
        if len(self.codes) > self._LIMIT:
            self.codes.clear()
        self.codes[token] = self._CODES[found]
        return found

    def count(self, tokens: Sequence[str]) -> tuple[int, int]:
        """(recognized, content) of a note's normalized tokens: one C-level sum of the
        tokens' cached codes."""
        try:
            total = sum(map(self.codes.__getitem__, tokens))
        except KeyError:
            get, codes = self.codes.get, self._CODES
            total = sum([c if (c := get(t)) is not None else codes[self.kind(t)] for t in tokens])
        return total >> 32, total & 0xFFFFFFFF


def _tag_result(
    probability: float, present: bool, evidence: list[str], negated: list[str], uncertain: bool
) -> TagResult:
    """``TagResult(probability, present, evidence, negated, uncertain)`` without the frozen
    dataclass ``__init__`` (one ``object.__setattr__`` per field)."""
    result = object.__new__(TagResult)
    result.__dict__.update(
        probability=probability,
        present=present,
        evidence=evidence,
        negated=negated,
        uncertain=uncertain,
    )
    return result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch builds its (acyclic) lists: with a hundred
    thousand notes alive, every automatic collection re-scanned them all (a quarter of the
    batch time at 100,000 notes). Collection resumes, if it was on, when the batch is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sigmoid_floats(z: np.ndarray) -> list[float]:
    """``_sigmoid(z).tolist()`` for one note's few logits: clipped, negated, added and divided
    as Python floats (the same IEEE operations), with the same ``np.exp``."""
    exps = np.exp(np.array([-min(max(v, -40.0), 40.0) for v in z.tolist()]))
    return [1.0 / (1.0 + e) for e in exps.tolist()]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically safe logistic function."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
