"""Feature extraction over normalized note strings (see ``normalize.py``).

Two views of the same normalized string:

* words: unigrams and bigrams of every token, negated ones included with their ``neg_`` /
  ``unk_`` prefix; bigrams never cross a clause separator (``|``);
* characters: ``char_wb`` n-grams of the *affirmed* tokens only, so that "no weapons" cannot lend
  the character n-grams of "weapon" to the weapon score, while typos of affirmed cue words still
  share most n-grams with the correct spelling.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from .cue_lexicon import CUE_GROUPS, PATTERN_WINDOW, PATTERN_WINDOWS, PATTERNS
from .tokens import BOUNDARY

SCOPED_PREFIXES = ("neg_", "unk_")
SKIP = "_"  # placeholder of a stop word (see normalize.NormalizedNote.features_text)


def word_ngrams(doc: str) -> list[str]:
    """Unigrams and within-clause bigrams of a normalized note."""
    features: list[str] = []
    append = features.append
    prev = ""
    for tok in doc.split():
        if tok == BOUNDARY:
            prev = ""
            continue
        if tok == SKIP:
            continue
        append(tok)
        if prev:
            append(prev + " " + tok)
        prev = tok
    return features


def affirmed_words(doc: str) -> list[str]:
    """The affirmed tokens of a normalized note (what the character view reads)."""
    return [
        t for t in doc.split() if t != BOUNDARY and t != SKIP and not t.startswith(SCOPED_PREFIXES)
    ]


def affirmed_text(doc: str) -> str:
    """Preprocessor of the character vectorizer."""
    return " ".join(affirmed_words(doc))


class CompactTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` whose vocabulary is persisted as one string array.

    skops stores a dict node per vocabulary entry, which makes loading slow; an array of terms
    ordered by column index loads in milliseconds and rebuilds the same dict.
    """

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        vocabulary = state.pop("vocabulary_", None)
        if vocabulary is not None:
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            state["vocabulary_terms_"] = np.array(terms, dtype=str)
        state.pop("stop_words_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        if terms is not None:
            state["vocabulary_"] = {str(term): i for i, term in enumerate(terms.tolist())}
        super().__setstate__(state)


class CueGroupVectorizer(TransformerMixin, BaseEstimator):
    """Presence of each cue group (``cue_lexicon.CUE_GROUPS``), affirmed and negated.

    Columns: one per group for affirmed cues, then one per group for negated or unknown cues.
    """

    def __init__(self, groups: dict[str, list[str]] | None = None) -> None:
        self.groups = groups

    def fit(self, X: Iterable[str], y: Any = None) -> CueGroupVectorizer:
        """Freeze the lexicon (no statistics are learned)."""
        groups = self.groups or {k: list(v) for k, v in CUE_GROUPS.items()}
        self.group_names_ = np.array(sorted(groups) + sorted(PATTERNS), dtype=str)
        terms = [
            (t, g) for g, name in enumerate(self.group_names_) for t in groups.get(str(name), ())
        ]
        self.terms_ = np.array([t for t, _ in terms], dtype=str)
        self.term_groups_ = np.array([g for _, g in terms], dtype=np.int64)
        self.__dict__.pop("_index", None)
        self.__dict__.pop("_patterns", None)
        self.__dict__.pop("_first_words", None)
        return self

    def index(self) -> dict[str, int]:
        """Term -> group column (built on first use, never persisted)."""
        index = self.__dict__.get("_index")
        if index is None:
            index = dict(zip(self.terms_.tolist(), self.term_groups_.tolist(), strict=True))
            self.__dict__["_index"] = index
        return index

    def patterns(self) -> list[tuple[int, frozenset[str], frozenset[str], int]]:
        """(column, first words, second words, window) of each pattern group (built on first
        use, never persisted)."""
        patterns = self.__dict__.get("_patterns")
        if patterns is None:
            names = self.group_names_.tolist()
            patterns = [
                (
                    names.index(name),
                    frozenset(a),
                    frozenset(b),
                    PATTERN_WINDOWS.get(name, PATTERN_WINDOW),
                )
                for name, (a, b) in PATTERNS.items()
                if name in names
            ]
            self.__dict__["_first_words"] = frozenset().union(*(p[1] for p in patterns))
            self.__dict__["_patterns"] = patterns
        return patterns

    def pattern_spots(self, doc: str) -> list[tuple[int, tuple[int, int]]]:
        """Pattern columns found in a normalized note, with the token positions matched."""
        return self.token_pattern_spots(doc.split())

    def token_pattern_spots(self, tokens: list[str]) -> list[tuple[int, tuple[int, int]]]:
        """``pattern_spots`` of a note already split into its tokens."""
        spots: list[tuple[int, tuple[int, int]]] = []
        patterns = self.patterns()
        if self.__dict__["_first_words"].isdisjoint(tokens):
            return spots  # no pattern's first word: nothing can match
        for column, first, second, window in patterns:
            if first.isdisjoint(tokens):
                continue  # no first word: this pattern cannot match
            last: tuple[int, int] | None = None  # (content index, position) of a first word
            content = 0
            for i, tok in enumerate(tokens):
                if tok == BOUNDARY:
                    last, content = None, 0
                    continue
                if tok == SKIP:
                    continue
                content += 1
                if tok in second and last is not None and content - last[0] <= window:
                    spots.append((column, (last[1], i)))
                if tok in first:
                    last = (content, i)
        return spots

    def doc_groups(self, features: list[str], doc: str | None = None) -> set[int]:
        """Columns present in one note, from its word n-gram features (and, given the note,
        its patterns)."""
        index, n_groups = self.index(), len(self.group_names_)
        present: set[int] = set()
        for feature in features:
            g = index.get(feature)
            if g is not None:
                present.add(g)
            elif feature[:4] in SCOPED_PREFIXES and " " not in feature:
                g = index.get(feature[4:])
                if g is not None:
                    present.add(n_groups + g)
        if doc is not None:
            present.update(column for column, _ in self.pattern_spots(doc))
        return present

    def feature_column(self, feature: str) -> int | None:
        """The column one feature sets (as in ``doc_groups``): its group, its scoped group, or
        None. The explanation asks feature by feature, so this skips building a list and set."""
        index = self.__dict__.get("_index") or self.index()
        g = index.get(feature)
        if g is not None:
            return g
        if feature[:4] in SCOPED_PREFIXES and " " not in feature:
            g = index.get(feature[4:])
            if g is not None:
                return len(self.group_names_) + g
        return None

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        """Binary (notes x 2 * groups) matrix."""
        indptr, indices = [0], []
        for doc in X:
            indices.extend(sorted(self.doc_groups(word_ngrams(doc), doc)))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        shape = (len(indptr) - 1, 2 * len(self.group_names_))
        return sp.csr_matrix((data, np.asarray(indices, dtype=np.int64), indptr), shape=shape)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``cue:<group>`` and ``neg:<group>`` names."""
        names = [f"cue:{g}" for g in self.group_names_] + [f"neg:{g}" for g in self.group_names_]
        return np.array(names, dtype=object)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_index", None)
        state.pop("_patterns", None)
        state.pop("_first_words", None)
        return state
