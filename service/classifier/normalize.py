"""Text normalization for dispatch notes: the first step of the classifier pipeline.

Steps, in order (each documented in docs/model.md):

1. tokenize (``tokens.raw_tokens``): lower case, clitics, ``W/`` and ``W/O``, glued numbers;
2. numbers in context: addresses, ages, times, unit and room numbers become neutral tokens so
   that "5150 MAIN ST" or "UNIT 415" are not read as codes;
3. per token: sex words and pronouns neutralized, typos in cue words restored, plurals folded;
4. jargon: longest-match expansion of codes and abbreviations through the agency-configurable
   table (``jargon.py``), including the demographic rows that map descriptors to ``person``;
5. NegEx-style negation and unknown scopes (``negation.py``).

The output for the feature extractors is one string per note in which negated words carry a
``neg_`` prefix, unknown ones ``unk_``, and ``|`` separates clauses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from . import lexicon
from .cue_lexicon import WEAPON_NOUNS
from .engine import Engine, compound_keys
from .jargon import JargonEntry, entries_from_rows, jargon_rows, load_jargon
from .negation import NEGATED
from .tokens import BOUNDARY, SEPARATORS, raw_tokens
from .typos import TypoCorrector

SCOPE_PREFIX = {NEGATED: "neg_", 2: "unk_"}
SKIP = "_"  # a stop word's place in the feature string
# "MALE WITH A GUN", "HAS A KNIFE": a person holding a weapon, the guide's plainest weapon
# statement; "WILL GET HIS GUN": access plus threat, which the guide counts too. "with", "has"
# and "had" are stop words, so without this the note reads only "gun", a word that stands as
# often in a stolen-gun report or a gun store's name. The possession or obtaining word before
# an affirmed weapon noun (at most three words before it, within the clause) becomes the
# feature ``HELD``.
HELD = "w_held"
# (the clause patterns' weapon nouns, less ammunition and bats: "HAS A BAT IN THE ATTIC")
HELD_NOUNS = frozenset(WEAPON_NOUNS) - {"ammunition", "ammo", "bat", "blade"}
POSSESSION = frozenset("with has have had having get getting grab grabbing fetch".split())


@dataclass
class NormalizedNote:
    """Normalized tokens of one note, the original span of each and its scope."""

    tokens: list[str]
    starts: Sequence[int]  # (computed on demand: a ``SpanView``)
    ends: Sequence[int]
    scopes: list[int]

    def features_text(self) -> str:
        """The string the feature extractors read."""
        return " ".join(feature_tokens(self.tokens, self.scopes))

    def feature_tokens(self) -> list[str]:
        """``features_text().split()``, without building the string (one entry per token:
        normalized tokens are never empty and hold no white space)."""
        return feature_tokens(self.tokens, self.scopes)


def features_text(tokens: list[str], scopes: list[int]) -> str:
    """Feature string of normalized tokens: separators become ``|``, stop words ``_``, and
    negated or unknown words carry their scope prefix."""
    return " ".join(feature_tokens(tokens, scopes))


def feature_tokens(tokens: list[str], scopes: list[int]) -> list[str]:
    """The words of ``features_text``, one per token."""
    special = _SPECIAL
    out = list(map(special.get, tokens, tokens))  # the special tokens changed, others kept
    if any(scopes):  # negated or unknown words (special ones stay special) take a prefix
        prefix = SCOPE_PREFIX
        for i in compress(range(len(tokens)), scopes):
            tok = tokens[i]
            if tok not in special:
                out[i] = prefix[scopes[i]] + tok
    if not HELD_NOUNS.isdisjoint(tokens):
        _mark_held(tokens, scopes, out)
    return out


def _mark_held(tokens: list[str], scopes: list[int], out: list[str]) -> None:
    """Put ``HELD`` in place of the possession word before each affirmed weapon noun."""
    for i in compress(range(len(tokens)), map(HELD_NOUNS.__contains__, tokens)):
        if scopes[i]:
            continue
        for j in range(i - 1, max(-1, i - 4), -1):
            tok = tokens[j]
            if tok in POSSESSION:
                out[j] = HELD
                break
            if tok in SEPARATORS or tok in HELD_NOUNS:
                break


_SPECIAL = {**dict.fromkeys(lexicon.STOPWORDS, SKIP), **dict.fromkeys(SEPARATORS, BOUNDARY)}


class NoteNormalizer(TransformerMixin, BaseEstimator):
    """Scikit-learn transformer: raw notes in, normalized feature strings out.

    ``jargon`` holds ``[code, expansion, kind]`` rows (None: the packaged default table);
    ``negation``, ``demographics``, ``typos`` and ``use_jargon`` switch steps off for ablations.
    """

    def __init__(
        self,
        jargon: list[list[str]] | None = None,
        negation: bool = True,
        demographics: bool = True,
        typos: bool = True,
        use_jargon: bool = True,
        min_known_count: int = 3,
    ) -> None:
        self.jargon = jargon
        self.negation = negation
        self.demographics = demographics
        self.typos = typos
        self.use_jargon = use_jargon
        self.min_known_count = min_known_count

    def fit(self, X: Iterable[str], y: Any = None) -> NoteNormalizer:
        """Learn the known-word list (words never "corrected" as typos)."""
        if self.jargon is None:
            self.jargon = jargon_rows(load_jargon())
        counts: Counter[str] = Counter()
        keep = compound_keys(entries_from_rows(self.jargon))
        for text in X:
            counts.update(t.text for t in raw_tokens(text, keep) if t.text.isalpha())
        # Misspelled cue words are frequent in training notes too ("sucidal", "knfie"): a word
        # one edit from a cue word is only "known" when it is a protected English word.
        probe = TypoCorrector(lexicon.TYPO_TARGETS, lexicon.protected_words())
        known = sorted(
            w
            for w, c in counts.items()
            if c >= self.min_known_count and (not self.typos or probe.correct(w) == w)
        )
        self.known_words_ = np.array(known, dtype=str)
        self.__dict__.pop("_engine", None)
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        """Normalized feature strings, one per note."""
        return [" ".join(tokens) for tokens in self.transform_tokens(X)]

    def transform_tokens(self, X: Iterable[str]) -> list[list[str]]:
        """``transform`` with each string given as its words (``str.split()`` of it)."""
        words = self.engine().words
        return [feature_tokens(*words(text)) for text in X]

    def analyze(self, text: str) -> NormalizedNote:
        """Tokens, spans and scopes of one note (used for explanations)."""
        return self.engine().analyze(text)

    def engine(self) -> Engine:
        """The compiled lookup tables, built on first use and never persisted."""
        engine = self.__dict__.get("_engine")
        if engine is None:
            engine = Engine(self)
            self.__dict__["_engine"] = engine
        return engine

    def with_jargon(self, entries: list[JargonEntry]) -> NoteNormalizer:
        """A copy of this fitted normalizer reading a different jargon table."""
        clone = NoteNormalizer(**self.get_params())
        clone.jargon = jargon_rows(entries)
        clone.known_words_ = self.known_words_
        return clone

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_engine", None)
        return state
