"""Feature extraction over normalized note strings (see ``normalize.py``).

Two views of the same normalized string:

* words: unigrams and bigrams of every token, negated ones included with their ``neg_`` /
  ``unk_`` prefix; bigrams never cross a clause separator (``|``);
* characters: ``char_wb`` n-grams of the *affirmed* tokens only, so that "no weapons" cannot lend
  the character n-grams of "weapon" to the weapon score, while typos of affirmed cue words still
  share most n-grams with the correct spelling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

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
        t for t in doc.split()
        if t != BOUNDARY and t != SKIP and not t.startswith(SCOPED_PREFIXES)
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
