"""Explanations: which phrases of the original note pushed a tag up, which cues were negated.

Per token and tag, the contribution is the token's word-unigram term, half of each bigram it is
part of, and its character n-grams folded onto it (exact, because the character block is a sum
over words). Adjacent positive tokens are merged into one phrase and quoted from the original
text, strongest first.
"""

from __future__ import annotations

import math
from itertools import chain, compress
from operator import mul, not_, or_

import numpy as np

from . import lexicon
from .features import SKIP
from .negation import AFFIRMED
from .normalize import NormalizedNote
from .scorer import FastScorer, NoteFeatures
from .tokens import BOUNDARY, SEPARATORS

MAX_PHRASES = 5
MIN_SHARE = 0.08  # a phrase must carry at least this share of the strongest phrase
MIN_LOGIT = 0.05
_FLAGS_LIMIT = 100_000
NEGATED_CUE_WEIGHT = 1.0  # affirmed-weight a scoped word needs to be reported as a negated cue


def token_contributions(
    scorer: FastScorer,
    note: NormalizedNote,
    doc: str,
    parts: tuple[dict[int, float], float] | None = None,
) -> np.ndarray:
    """(tokens x tags) logit contributions of each token of ``note``.

    ``parts`` are the word values and character norm from ``FastScorer.logits_and_parts``
    (computed here when not given).
    """
    tokens = doc.split()
    _, feats, char_norm = scorer.logits_of_tokens(tokens, spots=True)
    if parts is not None:
        feats.values, char_norm = parts
    return contributions(scorer, note, tokens, feats, char_norm)


def contributions(
    scorer: FastScorer,
    note: NormalizedNote,
    tokens: list[str],
    feats: NoteFeatures,
    char_norm: float,
) -> np.ndarray:
    """``token_contributions`` from what scoring the note produced: its feature tokens
    (``doc.split()``), its features with their positions (``spots=True``) and char norm.

    Every (token, tag) cell gets its word and cue terms in feature order, then its character
    term: one ``np.bincount`` over the flattened cells adds them from 0.0 in that order, the
    same additions an unbuffered ``np.add.at`` and an indexed add made (bit for bit)."""
    n_tags = scorer.n_tags
    cells: list[np.ndarray] = []
    values: list[np.ndarray] = []
    if scorer.word_vocab or scorer.cue_vec is not None:
        spread = _word_terms(scorer, feats, n_tags)
        if spread is not None:
            cells.append(spread[0])
            values.append(spread[1])
    if scorer.char_vocab and char_norm > 0:
        # affirmed (scope 0) tokens that are not separators or stop words, by C-level passes
        rows = list(
            compress(
                range(len(tokens)),
                map(not_, map(or_, note.scopes, map(_NOT_WORDS.__contains__, tokens))),
            )
        )
        if rows:
            # The affirmed words' dots from scoring, when they are these rows' words (they
            # are unless a normalized word itself starts with a scope prefix).
            dots = feats.char_dots
            if dots is None or len(dots) != len(rows):
                dots = scorer.part_dots([tokens[i] for i in rows])[1]
            cells.append(np.array(rows, dtype=np.intp))
            values.append(dots / char_norm)
    size = len(note.tokens) * n_tags
    if not cells:
        return np.zeros((len(note.tokens), n_tags))
    rows_all = np.concatenate(cells) if len(cells) > 1 else cells[0]
    flat = (rows_all[:, None] * n_tags + np.arange(n_tags)).ravel()
    weights = np.concatenate(values).ravel() if len(values) > 1 else values[0].ravel()
    return np.bincount(flat, weights=weights, minlength=size).reshape(-1, n_tags)


_NOT_WORDS = frozenset({BOUNDARY, SKIP})
assert AFFIRMED == 0  # (``contributions`` reads a falsy scope as affirmed)


def _word_terms(
    scorer: FastScorer, feats: NoteFeatures, n_tags: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each word feature's and cue column's logit term, spread evenly over the token positions
    that produced it: (token rows, their terms), in feature order then position order."""
    positions = feats.word_spots or {}
    cue_spots = feats.cue_spots or {}
    values = feats.values
    if scorer.word_l2:
        found = list(values.values())
        norm = math.sqrt(sum(map(mul, found, found)))  # (the same sum, in the same order)
    else:
        norm = 1.0
    spot_lists = list(positions.values()) + list(cue_spots.values())
    if not spot_lists:
        return None
    arrays = feats.word_arrays
    if not positions:
        word_terms = np.zeros((0, n_tags))
    elif arrays is not None and arrays[0] is values and len(arrays[1]) == len(positions):
        # scoring's arrays: the positions' columns in the same (first-occurrence) order
        word_terms = arrays[2][:, None] * arrays[3]
    else:
        word_terms = (
            np.array([values[j] for j in positions])[:, None] * scorer.word_w[list(positions)]
        )
    cue_terms = scorer.cue_w[list(cue_spots)] if cue_spots else np.zeros((0, n_tags))
    terms = np.vstack([word_terms / norm, cue_terms])
    counts = np.fromiter(map(len, spot_lists), dtype=np.int64, count=len(spot_lists))
    rows = np.fromiter(chain.from_iterable(spot_lists), dtype=np.intp)
    return rows, (terms / counts[:, None]).repeat(counts, axis=0)


def evidence_phrases(
    text: str, note: NormalizedNote, contrib: np.ndarray, tag_index: int
) -> list[str]:
    """Original-text phrases that pushed the tag up, strongest first."""
    column = contrib[:, tag_index]
    positive = (column > 0).nonzero()[0].tolist()
    if not positive:
        return []
    scores = column.tolist()  # Python floats: no numpy scalar per comparison
    scopes, tokens = note.scopes, note.tokens
    # Runs of adjacent tokens that push the tag up, are affirmed and are not separators.
    if any(scopes):
        found = [i for i in positive if scopes[i] == AFFIRMED and tokens[i] not in SEPARATORS]
    else:
        found = [i for i in positive if tokens[i] not in SEPARATORS]
    phrases: list[tuple[float, int, int]] = []
    if not found:
        return []
    first = last = found[0]
    total = 0.0 + scores[first]
    stop = lexicon.STOPWORDS
    for i in found[1:]:
        # adjacent, or one or two function words apart: "WITH A GUN", "HAS HIS KNIFE"
        if i == last + 1 or (i <= last + 3 and all(t in stop for t in tokens[last + 1 : i])):
            total += scores[i]
        else:
            phrases.append((total, first, last))
            first = i
            total = 0.0 + scores[i]
        last = i
    phrases.append((total, first, last))
    return _best_quotes(text, note, phrases)


def _best_quotes(
    text: str, note: NormalizedNote, phrases: list[tuple[float, int, int]]
) -> list[str]:
    """The strongest distinct phrases (score, first token, last token) as quoted from the
    original note; spans are looked up only for the phrases read."""
    if not phrases:
        return []
    phrases.sort(key=lambda p: -p[0])
    floor = max(MIN_LOGIT, phrases[0][0] * MIN_SHARE)
    out: list[str] = []
    starts, ends = note.starts, note.ends
    for score, first, last in phrases:
        if score < floor or len(out) >= MAX_PHRASES:
            break
        quote = " ".join(text[starts[first] : ends[last]].split())
        if quote and quote not in out:
            out.append(quote)
    return out


def negated_phrases(
    scorer: FastScorer, text: str, note: NormalizedNote, tag_index: int
) -> list[str]:
    """Negated or unknown cue phrases ("NO WEAPONS", "UNK IF ARMED") relevant to the tag."""
    return all_negated_phrases(scorer, text, note)[tag_index]


def all_negated_phrases(scorer: FastScorer, text: str, note: NormalizedNote) -> list[list[str]]:
    """``negated_phrases`` of every tag in one pass over the note's scoped tokens."""
    out: list[list[str]] = [[] for _ in range(scorer.n_tags)]
    scopes = note.scopes
    if not any(scopes):  # nothing negated or unknown
        return out
    flags_of = scorer.negated_cue_flags
    tokens = note.tokens
    for i in compress(range(len(tokens)), scopes):  # the negated or unknown tokens
        tok = tokens[i]
        flags = flags_of.get(tok)
        if flags is None:
            flags = tuple(_is_cue(scorer, tok, k) for k in range(scorer.n_tags))
            if len(flags_of) >= _FLAGS_LIMIT:
                flags_of.clear()
            flags_of[tok] = flags
        if not any(flags):
            continue
        start, end = _with_cue_word(note, i)
        quote = " ".join(text[start:end].split())
        if not quote:
            continue
        for k, flag in enumerate(flags):
            if flag and quote not in out[k]:
                out[k].append(quote)
    return [found[:MAX_PHRASES] for found in out]


def _is_cue(scorer: FastScorer, token: str, tag_index: int) -> bool:
    """Would this word raise the tag if it were affirmed? (its cue group, or its weight)"""
    if scorer.cue_vec is not None:
        g = scorer.cue_vec.index().get(token)
        if g is not None:
            group = str(scorer.cue_vec.group_names_[g])
            return group.startswith(_GROUP_PREFIX[tag_index])
    j = scorer.word_vocab.get(token)
    return j is not None and float(scorer.word_w[j, tag_index]) > NEGATED_CUE_WEIGHT


_GROUP_PREFIX = ("mh_", "drugs_", "weapon_")


def _with_cue_word(note: NormalizedNote, i: int) -> tuple[int, int]:
    """Span from the negation/unknown cue word to the scoped token (either order)."""
    scope = note.scopes[i]
    a = i
    while a > 0 and note.scopes[a - 1] == scope:
        a -= 1
    b = i
    while b + 1 < len(note.scopes) and note.scopes[b + 1] == scope:
        b += 1
    before = _neighbor(note, a - 1, -1)
    if before is not None:
        return note.starts[before], note.ends[i]
    after = _neighbor(note, b + 1, 1)
    if after is not None:
        return note.starts[i], note.ends[after]
    return note.starts[i], note.ends[i]


def _neighbor(note: NormalizedNote, j: int, step: int) -> int | None:
    """The nearest non-separator affirmed token from ``j`` in direction ``step`` (within 2)."""
    for _ in range(2):
        if j < 0 or j >= len(note.tokens) or note.tokens[j] == BOUNDARY:
            return None
        if note.tokens[j] not in SEPARATORS and note.scopes[j] == AFFIRMED:
            return j
        j += step
    return None
