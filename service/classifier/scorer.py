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
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from .features import affirmed_words, word_ngrams
from .normalize import NoteNormalizer

_CACHE_LIMIT = 100_000


@dataclass
class WordPart:
    """Per-word character contribution: columns, idf-weighted counts, and their weighted sum."""

    idx: np.ndarray
    val: np.ndarray
    dot: np.ndarray


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
        self.word_cache: dict[str, WordPart] = {}

    def word_part(self, word: str) -> WordPart:
        """Cached character-block contribution of one affirmed word."""
        part = self.word_cache.get(word)
        if part is None:
            counts = Counter(self.char_analyzer(word))
            pairs = [(self.char_vocab[g], c) for g, c in counts.items() if g in self.char_vocab]
            idx = np.array([p[0] for p in pairs], dtype=np.int64)
            val = np.array([p[1] for p in pairs], dtype=np.float64) * self.char_idf[idx]
            part = WordPart(idx, val, val @ self.char_w[idx])
            if len(self.word_cache) >= _CACHE_LIMIT:
                self.word_cache.clear()
            self.word_cache[word] = part
        return part

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
        if not counts:
            return np.zeros(self.n_tags), {}, 0.0
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        x = (1.0 + np.log(tf)) * self.word_idf[idx]
        norm = float(np.sqrt(x @ x)) if self.word_l2 else 1.0
        return (x @ self.word_w[idx]) / norm, dict(zip(idx.tolist(), x.tolist(), strict=True)), norm

    def char_block(self, doc: str) -> tuple[np.ndarray, float]:
        """Character-block logits and the block's norm."""
        words = affirmed_words(doc)
        if not self.char_vocab or not words:
            return np.zeros(self.n_tags), 0.0
        parts = [self.word_part(w) for w in words]
        idx = np.concatenate([p.idx for p in parts])
        if idx.size == 0:
            return np.zeros(self.n_tags), 0.0
        dot = np.sum([p.dot for p in parts], axis=0)
        if not self.char_l2:
            return dot, 1.0
        val = np.concatenate([p.val for p in parts])
        uniq, inverse = np.unique(idx, return_inverse=True)
        summed = np.bincount(inverse, weights=val, minlength=uniq.size)
        norm = float(np.sqrt(summed @ summed))
        return dot / norm, norm

    def cue_block(self, doc: str, features: list[str] | None = None) -> np.ndarray:
        """Cue-group logits of one normalized note."""
        if self.cue_vec is None:
            return np.zeros(self.n_tags)
        feats = features if features is not None else word_ngrams(doc)
        present = self.cue_vec.doc_groups(feats, doc)
        return self.cue_w[sorted(present)].sum(axis=0) if present else np.zeros(self.n_tags)

    def logits(self, doc: str) -> np.ndarray:
        """Calibrated logits of one normalized note."""
        return self.logits_and_parts(doc)[0]

    def logits_and_parts(self, doc: str) -> tuple[np.ndarray, dict[int, float], float]:
        """``logits`` with the word block's tf-idf values and the character block's norm,
        which the explanation reuses instead of computing both blocks a second time."""
        word_z, values = self.word_block(doc)[:2] if self.word_vocab else (0.0, {})
        char_z, char_norm = self.char_block(doc)
        return self.bias + word_z + char_z + self.cue_block(doc), values, char_norm

    def logits_many(self, docs: list[str]) -> np.ndarray:
        """Calibrated logits of many normalized notes, with sparse matrix products."""
        out = np.tile(self.bias, (len(docs), 1))
        words, cues = self._word_and_cue_matrices(docs)
        if self.word_vocab:
            out += words @ self.word_w
        if self.char_vocab:
            out += self._char_logits(docs)
        if cues is not None:
            out += cues @ self.cue_w
        return out

    def _word_and_cue_matrices(self, docs: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        """Word TF-IDF rows (sublinear tf, l2) and cue-group rows, from one pass per note."""
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[int] = []
        cue_ptr: list[int] = [0]
        cue_idx: list[int] = []
        vocab, cue_vec = self.word_vocab, self.cue_vec
        for doc in docs:
            feats = word_ngrams(doc)
            counts: dict[int, int] = {}
            for feature in feats:
                j = vocab.get(feature)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            indices.extend(counts.keys())
            data.extend(counts.values())
            indptr.append(len(indices))
            if cue_vec is not None:
                cue_idx.extend(cue_vec.doc_groups(feats, doc))
                cue_ptr.append(len(cue_idx))
        idx = np.asarray(indices, dtype=np.int64)
        x = (1.0 + np.log(np.asarray(data, dtype=np.float64))) * self.word_idf[idx]
        words = sp.csr_matrix((x, idx, np.asarray(indptr)), shape=(len(docs), len(vocab)))
        words = _l2_rows(words) if self.word_l2 else words
        if cue_vec is None:
            return words, None
        shape = (len(docs), self.cue_w.shape[0])
        ones = np.ones(len(cue_idx))
        return words, sp.csr_matrix((ones, np.asarray(cue_idx, dtype=np.int64), cue_ptr), shape)

    def _char_logits(self, docs: list[str]) -> np.ndarray:
        """Character-block logits: (notes x words) @ (words x n-grams), then normalized."""
        word_ids: dict[str, int] = {}
        indptr, indices = [0], []
        for doc in docs:
            for word in affirmed_words(doc):
                indices.append(word_ids.setdefault(word, len(word_ids)))
            indptr.append(len(indices))
        ones = np.ones(len(indices))
        counts = sp.csr_matrix((ones, indices, indptr), shape=(len(docs), len(word_ids)))
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
