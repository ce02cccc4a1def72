"""Fast inference path, precomputed from a fitted pipeline at load time.

The pipeline computes ``p = expit(-(a * (w . x + c) + b))`` per tag, where ``x`` is the
concatenation of the l2-normalized word and character TF-IDF vectors and ``(a, b)`` the
tag's sigmoid calibrator. Here the per-tag weights are folded with the calibrator into one
matrix per block, so scoring is a lookup, two small dot products and a sigmoid. Character n-gram
vectors are cached per word: the ``char_wb`` analyzer works word by word, and with linear term
frequencies the character block of a note is exactly the sum of its words' vectors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from .features import SCOPED_PREFIXES, affirmed_words, word_ngrams
from .normalize import NoteNormalizer
from .tokens import BOUNDARY

_CACHE_LIMIT = 100_000
_SKIP = "_"
# Per token: word column, cue column, affirmed?, its row in the character cache (-1: none),
# the bigrams it starts (second word -> (word column, cue column)), pattern bits (patterns it
# starts, patterns it ends).
_TokenInfo = tuple[
    int | None,
    int | None,
    bool,
    int,
    dict[str, tuple[int | None, int | None]] | None,
    tuple[int, int] | None,
]


@dataclass
class WordPart:
    """Per-word character contribution: columns, idf-weighted counts, and their weighted sum
    (``row``: the same sum's row in the cache's dot table)."""

    idx: np.ndarray
    val: np.ndarray
    dot: np.ndarray
    row: int = -1


@dataclass
class _CharCache:
    """Word parts and a table of their dots (row ``part.row``), so that the dots of a note's
    words are one fancy-index away; each part's columns and values also stored end to end in
    ``flat_idx``/``flat_val`` (row ``r`` at ``spans[r]``: offset, length), so that a note's are
    one gather away; and the token table of ``FastScorer.features``, whose rows are this
    cache's. Replaced as a whole (never cleared in place) when full, so a thread holding it
    keeps a consistent set (arrays are only appended to, or replaced by larger copies)."""

    parts: dict[str, WordPart]
    table: np.ndarray
    size: int = 0
    spans: np.ndarray = field(default_factory=lambda: np.zeros((1024, 2), dtype=np.int64))
    flat_idx: np.ndarray = field(default_factory=lambda: np.zeros(16384, dtype=np.int64))
    flat_val: np.ndarray = field(default_factory=lambda: np.zeros(16384))
    used: int = 0
    tokens: dict[str, _TokenInfo] = field(default_factory=dict)

    def store(self, part: WordPart) -> None:
        """Write ``part`` at row ``size`` (its dot, span and values) and number it."""
        row, length = self.size, part.idx.size
        if row == self.table.shape[0]:
            self.table = _grown(self.table, row)
            self.spans = _grown(self.spans, row)
        if self.used + length > self.flat_idx.shape[0]:
            self.flat_idx = _grown(self.flat_idx, self.used, length)
            self.flat_val = _grown(self.flat_val, self.used, length)
        self.flat_idx[self.used : self.used + length] = part.idx
        self.flat_val[self.used : self.used + length] = part.val
        self.spans[row] = (self.used, length)
        self.table[row] = part.dot
        self.used += length
        part.row = row
        self.size = row + 1

    def gather(self, rows: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Columns and values of the words at ``rows``, end to end, and their dots: what
        concatenating their parts' ``idx``, ``val`` and stacking their ``dot`` gives."""
        r = np.array(rows, dtype=np.intp)
        offsets, lengths = self.spans[r].T
        ends = lengths.cumsum()  # (ndarray methods: no numpy function wrapper per call)
        total = int(ends[-1])
        pos = np.arange(total) + (offsets - (ends - lengths)).repeat(lengths)
        return self.flat_idx[pos], self.flat_val[pos], self.table[r]


@dataclass
class NoteFeatures:
    """One pass over a normalized note: word counts per column (first-occurrence order), cue
    columns (a set filled in the order ``CueGroupVectorizer.doc_groups`` fills it), affirmed
    words, and, when asked, each word feature's hit as (column, cue column, token positions)."""

    counts: dict[int, int]
    groups: set[int]
    affirmed: list[str]
    word_spots: dict[int, list[int]] | None = None  # column -> token positions (in order)
    cue_spots: dict[int, list[int]] | None = None  # cue column -> token positions
    values: dict[int, float] = field(default_factory=dict)
    # ``values`` as the arrays it was made from: (that dict, columns, values, the columns'
    # weight rows), in its order
    word_arrays: tuple[dict[int, float], np.ndarray, np.ndarray, np.ndarray] | None = None
    char_dots: np.ndarray | None = None  # (affirmed words x tags) character dots, once scored
    rows: list[int] | None = None  # the affirmed words' rows in ``chars`` (None: not known)
    chars: _CharCache | None = None


class FastScorer:
    """Scores normalized notes with the folded weights of a fitted pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.normalizer: NoteNormalizer = pipeline.named_steps["normalize"]
        coef, intercept, a, b = _calibrated_linear(pipeline.named_steps["classify"])
        n_tags = coef.shape[0]
        self.word_vocab: dict[str, int] = {}
        self.char_vocab: dict[str, int] = {}
        self.word_w = self.char_w = self.cue_w = np.zeros((0, n_tags))
        self.word_l2 = self.char_l2 = True
        self.cue_vec = None
        offset = 0
        for name, vec in pipeline.named_steps["features"].transformer_list:
            width = len(vec.vocabulary_) if name in ("word", "char") else 2 * len(vec.group_names_)
            weights = (coef[:, offset : offset + width] * -a[:, None]).T.copy()
            offset += width
            if name == "word":
                self.word_vocab, self.word_idf = vec.vocabulary_, _idf(vec)
                self.word_w, self.word_l2 = weights, vec.norm == "l2"
            elif name == "char":
                self.char_vocab, self.char_idf = vec.vocabulary_, _idf(vec)
                self.char_analyzer = vec.build_analyzer()
                self.char_w, self.char_l2 = weights, vec.norm == "l2"
            else:
                self.cue_vec, self.cue_w = vec, weights
        self.bias = -(a * intercept + b)
        self.n_tags = coef.shape[0]
        self._chars = _CharCache({}, np.zeros((1024, self.n_tags)))
        self._bigrams = self._bigram_table()
        self._follows = _follow_tables(self._bigrams)
        # word columns of two-word features: two token positions per occurrence
        self._pair_columns = frozenset(j for j, _ in self._bigrams.values() if j is not None)
        self._pattern_bits = self._pattern_table()
        self.negated_cue_flags: dict[str, tuple[bool, ...]] = {}  # explain.all_negated_phrases

    @property
    def word_cache(self) -> dict[str, WordPart]:
        """The cached character parts, by word."""
        return self._chars.parts

    def word_part(self, word: str) -> WordPart:
        """Cached character-block contribution of one affirmed word."""
        chars = self._chars
        part = chars.parts.get(word)
        return part if part is not None else self._new_part(chars, word)

    def _new_part(self, chars: _CharCache, word: str) -> WordPart:
        """Compute one word's part and publish it in ``chars`` (its dot row written first)."""
        counts = Counter(self.char_analyzer(word))
        pairs = [(self.char_vocab[g], c) for g, c in counts.items() if g in self.char_vocab]
        idx = np.array([p[0] for p in pairs], dtype=np.int64)
        val = np.array([p[1] for p in pairs], dtype=np.float64) * self.char_idf[idx]
        part = WordPart(idx, val, val @ self.char_w[idx])
        if len(chars.parts) >= _CACHE_LIMIT:
            self._chars = _CharCache({}, np.zeros((1024, self.n_tags)))
            return part  # not cached in the retired cache; later calls use the new one
        chars.store(part)
        chars.parts[word] = part
        return part

    def part_dots(self, words: list[str]) -> tuple[list[WordPart], np.ndarray]:
        """The parts of ``words`` and their dots as a (words x tags) array, equal to
        ``np.array([part.dot for part in parts])``."""
        chars = self._chars
        cache = chars.parts
        parts = [cache.get(w) or self._new_part(chars, w) for w in words]
        rows = [p.row for p in parts]
        if -1 in rows or chars is not self._chars:
            return parts, np.array([p.dot for p in parts])
        return parts, chars.table[rows]

    def _bigram_table(self) -> dict[str, tuple[int | None, int | None]]:
        """(word column, cue column) of every two-word feature that has either."""
        table: dict[str, tuple[int | None, int | None]] = {}
        index = self.cue_vec.index() if self.cue_vec is not None else {}
        for term in [t for t in self.word_vocab if " " in t] + [t for t in index if " " in t]:
            table[term] = (self.word_vocab.get(term), index.get(term))
        return table

    def _pattern_table(self) -> dict[str, tuple[int, int]]:
        """Per pattern word: (bit mask of the patterns it starts, of those it ends); pattern
        ``k`` is ``cue_vec.patterns()[k]``."""
        table: dict[str, tuple[int, int]] = {}
        patterns = self.cue_vec.patterns() if self.cue_vec is not None else []
        for k, (_, first, second, _window) in enumerate(patterns):
            for word in first:
                a, b = table.get(word, (0, 0))
                table[word] = (a | 1 << k, b)
            for word in second:
                a, b = table.get(word, (0, 0))
                table[word] = (a, b | 1 << k)
        return table

    def _unigram(self, chars: _CharCache, tok: str) -> _TokenInfo:
        """(word column, cue column, affirmed?, character row, bigram table of the pairs it
        starts, pattern bits) of one token, cached in ``chars`` (its row is that cache's)."""
        column = self.cue_vec.feature_column(tok) if self.cue_vec is not None else None
        affirmed = not tok.startswith(SCOPED_PREFIXES)
        row = -1
        if affirmed and self.char_vocab:
            part = chars.parts.get(tok)
            row = (part if part is not None else self._new_part(chars, tok)).row
        info = (
            self.word_vocab.get(tok),
            column,
            affirmed,
            row,
            self._follows.get(tok),
            self._pattern_bits.get(tok),
        )
        if len(chars.tokens) >= _CACHE_LIMIT:
            chars.tokens.clear()  # rows stay valid: only this table is emptied
        chars.tokens[tok] = info
        return info

    def features(self, tokens: list[str], spots: bool = False) -> NoteFeatures:
        """Word counts, cue columns and affirmed words of a note's tokens (``doc.split()``) in
        one pass: the same as ``word_ngrams``, ``doc_groups`` and ``affirmed_words``; with
        ``spots``, each feature's token positions too (``_spotted_features``). Pattern words are
        noted on the way (position, content-word count, clause), so the pattern groups are
        matched over those few tokens instead of over the note once per pattern."""
        if spots:
            return self._spotted_features(tokens)
        chars = self._chars
        unigrams = chars.tokens
        counts: dict[int, int] = {}
        groups: set[int] = set()
        affirmed: list[str] = []
        rows: list[int] = []
        marks: list[tuple[int, int, int, tuple[int, int]]] = []
        follow: dict[str, tuple[int | None, int | None]] | None = None
        content = clause = 0
        boundary, skip = BOUNDARY, _SKIP
        for i, tok in enumerate(tokens):
            if tok == boundary:
                follow = None
                clause += 1
                continue
            if tok == skip:
                continue
            content += 1
            info = unigrams.get(tok)
            j, g, affirmed_tok, row, follows, bits = (
                info if info is not None else self._unigram(chars, tok)
            )
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
            if g is not None:
                groups.add(g)
            if affirmed_tok:
                affirmed.append(tok)
                rows.append(row)
            if bits is not None:
                marks.append((i, content, clause, bits))
            if follow is not None:
                pair = follow.get(tok)
                if pair is not None:
                    j, g = pair
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                    if g is not None:
                        groups.add(g)
            follow = follows
        return self._finished(NoteFeatures(counts, groups, affirmed), marks, rows, chars)

    def _spotted_features(self, tokens: list[str]) -> NoteFeatures:
        """``features(tokens, spots=True)``: the same pass keeping each word feature's and
        cue column's token positions; the word counts are read from the positions afterwards
        (a unigram column has one per occurrence, a bigram column two), in the same order."""
        chars = self._chars
        unigrams = chars.tokens
        groups: set[int] = set()
        affirmed: list[str] = []
        rows: list[int] = []
        word_spots: dict[int, list[int]] = {}
        cue_spots: dict[int, list[int]] = {}
        marks: list[tuple[int, int, int, tuple[int, int]]] = []
        follow: dict[str, tuple[int | None, int | None]] | None = None
        prev_i = -1
        content = clause = 0
        boundary, skip = BOUNDARY, _SKIP
        for i, tok in enumerate(tokens):
            if tok == boundary:
                follow = None
                clause += 1
                continue
            if tok == skip:
                continue
            content += 1
            info = unigrams.get(tok)
            j, g, affirmed_tok, row, follows, bits = (
                info if info is not None else self._unigram(chars, tok)
            )
            if j is not None:
                found = word_spots.get(j)
                if found is None:
                    word_spots[j] = [i]
                else:
                    found.append(i)
            if g is not None:
                groups.add(g)
                found = cue_spots.get(g)
                if found is None:
                    cue_spots[g] = [i]
                else:
                    found.append(i)
            if affirmed_tok:
                affirmed.append(tok)
                rows.append(row)
            if bits is not None:
                marks.append((i, content, clause, bits))
            if follow is not None:
                pair = follow.get(tok)
                if pair is not None:
                    j, g = pair
                    if j is not None:
                        found = word_spots.get(j)
                        if found is None:
                            word_spots[j] = [prev_i, i]
                        else:
                            found += (prev_i, i)
                    if g is not None:
                        groups.add(g)
                        found = cue_spots.get(g)
                        if found is None:
                            cue_spots[g] = [prev_i, i]
                        else:
                            found += (prev_i, i)
            follow, prev_i = follows, i
        counts = dict(zip(word_spots, map(len, word_spots.values()), strict=True))
        for j in self._pair_columns.intersection(word_spots):
            counts[j] //= 2
        feats = NoteFeatures(counts, groups, affirmed, word_spots, cue_spots)
        return self._finished(feats, marks, rows, chars)

    def _finished(
        self,
        feats: NoteFeatures,
        marks: list[tuple[int, int, int, tuple[int, int]]],
        rows: list[int],
        chars: _CharCache,
    ) -> NoteFeatures:
        """The pattern groups added, and the character rows kept when all are known."""
        if marks:
            feats.groups.update(column for column, _ in self._pattern_spots(marks))
        if -1 not in rows:  # (-1: a word met while its cache was being retired)
            feats.rows, feats.chars = rows, chars
        return feats

    def _pattern_spots(
        self, marks: list[tuple[int, int, int, tuple[int, int]]]
    ) -> list[tuple[int, tuple[int, int]]]:
        """``CueGroupVectorizer.token_pattern_spots`` from the pattern words ``features`` noted:
        the same matches in the same order."""
        spots: list[tuple[int, tuple[int, int]]] = []
        starts = 0
        for mark in marks:
            starts |= mark[3][0]
        if not starts or self.cue_vec is None:
            return spots
        for k, (column, _, _, window) in enumerate(self.cue_vec.patterns()):
            bit = 1 << k
            if not starts & bit:
                continue  # no first word: this pattern cannot match
            last: tuple[int, int] | None = None  # (content count, position) of a first word
            last_clause = -1
            for i, content, clause, (first, second) in marks:
                if clause != last_clause:
                    last = None
                if second & bit and last is not None and content - last[0] <= window:
                    spots.append((column, (last[1], i)))
                if first & bit:
                    last, last_clause = (content, i), clause
        return spots

    def word_block(
        self, doc: str, features: list[str] | None = None
    ) -> tuple[np.ndarray, dict[int, float], float]:
        """Word-block logits, the tf-idf value of each feature column, and the norm."""
        counts: dict[int, int] = {}
        vocab = self.word_vocab
        for feature in features if features is not None else word_ngrams(doc):
            j = vocab.get(feature)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        return self._word_logits(counts)

    def _word_logits(self, counts: dict[int, int]) -> tuple[np.ndarray, dict[int, float], float]:
        """``word_block`` from the column counts (in first-occurrence order)."""
        logits, values, norm, _ = self._word_parts(counts)
        return logits, values, norm

    def _word_parts(
        self, counts: dict[int, int]
    ) -> tuple[
        np.ndarray, dict[int, float], float, tuple[np.ndarray, np.ndarray, np.ndarray] | None
    ]:
        """``_word_logits`` and the columns, tf-idf values and weight rows as arrays (None: no
        column)."""
        if not counts:
            return np.zeros(self.n_tags), {}, 0.0, None
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        x = (1.0 + np.log(tf)) * self.word_idf[idx]
        norm = float(np.sqrt(x @ x)) if self.word_l2 else 1.0
        values = dict(zip(idx.tolist(), x.tolist(), strict=True))
        weights = self.word_w[idx]
        return (x @ weights) / norm, values, norm, (idx, x, weights)

    def char_block(self, doc: str) -> tuple[np.ndarray, float]:
        """Character-block logits and the block's norm."""
        return self._char_logits_one(affirmed_words(doc))

    def _char_logits_one(
        self, words: list[str], feats: NoteFeatures | None = None
    ) -> tuple[np.ndarray, float]:
        """``char_block`` of a note's affirmed words. The norm sums each n-gram's values in
        order of appearance (``np.bincount``) and takes the sorted distinct n-grams (a mask
        instead of ``np.unique``'s sort): the same numbers, in the same order. The words' dots
        are kept in ``feats`` (when given) for the explanation; with the words' rows in ``feats``
        the dots, columns and values are gathered from the cache's tables."""
        if not self.char_vocab or not words:
            return np.zeros(self.n_tags), 0.0
        if feats is not None and feats.rows is not None and feats.chars is not None:
            idx, val, dots = feats.chars.gather(feats.rows)
        else:
            parts, dots = self.part_dots(words)
            idx = np.concatenate([p.idx for p in parts])
            val = np.concatenate([p.val for p in parts])
        if feats is not None:
            feats.char_dots = dots
        if idx.size == 0:
            return np.zeros(self.n_tags), 0.0
        dot = np.add.reduce(dots, axis=0)  # (what ``.sum`` runs, without its wrapper)
        if not self.char_l2:
            return dot, 1.0
        size = len(self.char_vocab)
        seen = np.zeros(size, dtype=bool)
        seen[idx] = True
        summed = np.bincount(idx, weights=val, minlength=size)[seen.nonzero()[0]]
        norm = float(np.sqrt(summed @ summed))
        return dot / norm, norm

    def cue_block(self, doc: str, features: list[str] | None = None) -> np.ndarray:
        """Cue-group logits of one normalized note."""
        if self.cue_vec is None:
            return np.zeros(self.n_tags)
        feats = features if features is not None else word_ngrams(doc)
        return self._cue_logits(self.cue_vec.doc_groups(feats, doc))

    def _cue_logits(self, present: set[int]) -> np.ndarray:
        """Cue-group logits from the note's cue columns."""
        if self.cue_vec is None:
            return np.zeros(self.n_tags)
        if not present:
            return np.zeros(self.n_tags)
        return np.add.reduce(self.cue_w[sorted(present)], axis=0)  # (``.sum(axis=0)``)

    def logits(self, doc: str) -> np.ndarray:
        """Calibrated logits of one normalized note."""
        return self.logits_and_parts(doc)[0]

    def logits_and_parts(self, doc: str) -> tuple[np.ndarray, dict[int, float], float]:
        """``logits`` with the word block's tf-idf values and the character block's norm,
        which the explanation reuses instead of computing both blocks a second time."""
        logits, feats, char_norm = self.logits_of_tokens(doc.split())
        return logits, feats.values, char_norm

    def logits_of_tokens(
        self, tokens: list[str], spots: bool = False
    ) -> tuple[np.ndarray, NoteFeatures, float]:
        """``logits_and_parts`` of a note given as its tokens (``doc.split()``); the features
        (with their token positions when ``spots``) carry the word values for explanations."""
        feats = self.features(tokens, spots)
        word_z: np.ndarray | float = 0.0
        if self.word_vocab:
            word_z, feats.values, _, arrays = self._word_parts(feats.counts)
            if arrays is not None:
                feats.word_arrays = (feats.values, *arrays)
        char_z, char_norm = self._char_logits_one(feats.affirmed, feats)
        return self.bias + word_z + char_z + self._cue_logits(feats.groups), feats, char_norm

    def logits_many(self, docs: list[str]) -> np.ndarray:
        """Calibrated logits of many normalized notes, with sparse matrix products."""
        return self.logits_many_tokens([doc.split() for doc in docs])

    def logits_many_tokens(self, notes: list[list[str]]) -> np.ndarray:
        """``logits_many`` of notes given as their tokens (``doc.split()``)."""
        out = np.tile(self.bias, (len(notes), 1))
        feats = [self.features(tokens) for tokens in notes]
        words, cues = self._word_and_cue_matrices(feats)
        if self.word_vocab:
            out += words @ self.word_w
        if self.char_vocab:
            out += self._char_logits([f.affirmed for f in feats])
        if cues is not None:
            out += cues @ self.cue_w
        return out

    def _word_and_cue_matrices(
        self, feats: list[NoteFeatures]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        """Word TF-IDF rows (sublinear tf, l2) and cue-group rows, from one pass per note."""
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[int] = []
        cue_ptr: list[int] = [0]
        cue_idx: list[int] = []
        vocab, cue_vec = self.word_vocab, self.cue_vec
        for note in feats:
            indices.extend(note.counts.keys())
            data.extend(note.counts.values())
            indptr.append(len(indices))
            if cue_vec is not None:
                cue_idx.extend(note.groups)
                cue_ptr.append(len(cue_idx))
        idx = np.asarray(indices, dtype=np.int64)
        x = (1.0 + np.log(np.asarray(data, dtype=np.float64))) * self.word_idf[idx]
        words = sp.csr_matrix((x, idx, np.asarray(indptr)), shape=(len(feats), len(vocab)))
        words = _l2_rows(words) if self.word_l2 else words
        if cue_vec is None:
            return words, None
        shape = (len(feats), self.cue_w.shape[0])
        ones = np.ones(len(cue_idx))
        return words, sp.csr_matrix((ones, np.asarray(cue_idx, dtype=np.int64), cue_ptr), shape)

    def _char_logits(self, notes: list[list[str]]) -> np.ndarray:
        """Character-block logits: (notes x words) @ (words x n-grams), then normalized."""
        word_ids: dict[str, int] = {}
        indptr, indices = [0], []
        for words in notes:
            for word in words:
                indices.append(word_ids.setdefault(word, len(word_ids)))
            indptr.append(len(indices))
        ones = np.ones(len(indices))
        counts = sp.csr_matrix((ones, indices, indptr), shape=(len(notes), len(word_ids)))
        parts = [self.word_part(w) for w in word_ids]
        lengths = np.array([p.idx.size for p in parts], dtype=np.int64)
        m_ptr = np.concatenate([[0], np.cumsum(lengths)])
        m_idx = np.concatenate([p.idx for p in parts]) if parts else np.zeros(0, np.int64)
        m_val = np.concatenate([p.val for p in parts]) if parts else np.zeros(0)
        ngrams = sp.csr_matrix((m_val, m_idx, m_ptr), shape=(len(word_ids), len(self.char_vocab)))
        dots = np.array([p.dot for p in parts]).reshape(len(parts), self.n_tags)
        numer = counts @ dots
        if not self.char_l2:
            return numer
        summed = counts @ ngrams
        norms = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
        return numer / np.where(norms > 0, norms, 1.0)[:, None]


def _grown(array: np.ndarray, used: int, extra: int = 1) -> np.ndarray:
    """A copy of ``array`` with room for ``extra`` more rows after its first ``used``."""
    grown = np.zeros((max(2 * array.shape[0], used + extra), *array.shape[1:]), array.dtype)
    grown[:used] = array[:used]
    return grown


def _follow_tables(
    bigrams: dict[str, tuple[int | None, int | None]],
) -> dict[str, dict[str, tuple[int | None, int | None]]]:
    """The bigram table by first word: ``follows[a][b]`` is ``bigrams["a b"]``."""
    follows: dict[str, dict[str, tuple[int | None, int | None]]] = {}
    for term, pair in bigrams.items():
        first, _, second = term.partition(" ")
        follows.setdefault(first, {})[second] = pair
    return follows


def _idf(vectorizer: object) -> np.ndarray:
    """The vectorizer's idf weights (ones when it does not use idf)."""
    if getattr(vectorizer, "use_idf", True):
        return np.asarray(vectorizer.idf_, dtype=np.float64)  # type: ignore[attr-defined]
    return np.ones(len(vectorizer.vocabulary_))  # type: ignore[attr-defined]


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row to unit l2 norm (rows of zeros stay zero)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = 1.0 / np.where(norms > 0, norms, 1.0)
    return sp.diags(scale) @ matrix


def _calibrated_linear(classifier: object) -> tuple[np.ndarray, ...]:
    """Stack per-tag LR coefficients, intercepts and sigmoid parameters."""
    coefs, intercepts, a_s, b_s = [], [], [], []
    for estimator in classifier.estimators_:  # type: ignore[attr-defined]
        calibrated = estimator.calibrated_classifiers_[0]
        linear = calibrated.estimator
        calibrator = calibrated.calibrators[0]
        coefs.append(np.asarray(linear.coef_, dtype=np.float64).ravel())
        intercepts.append(float(np.ravel(linear.intercept_)[0]))
        a_s.append(float(calibrator.a_))
        b_s.append(float(calibrator.b_))
    return np.vstack(coefs), np.array(intercepts), np.array(a_s), np.array(b_s)
