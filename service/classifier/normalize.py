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

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from . import lexicon
from .jargon import JargonEntry, entries_from_rows, jargon_rows, load_jargon
from .negation import AFFIRMED, NEGATED, mark_scopes
from .tokens import BOUNDARY, CHUNK_RE, SEPARATORS, Tok, chunk_tokens, raw_tokens
from .typos import TypoCorrector

_DIGITS = re.compile(r"^\d+$")
_DECADE = re.compile(r"^\d0s$")
_HAS_DIGIT = re.compile(r"\d")
_TIMES = re.compile(r"^x\d+$")
_CODE = re.compile(r"^\d+-\d+")
SCOPE_PREFIX = {NEGATED: "neg_", 2: "unk_"}
SKIP = "_"  # a stop word's place in the feature string


@dataclass
class NormalizedNote:
    """Normalized tokens of one note, the original span of each and its scope."""

    tokens: list[str]
    starts: list[int]
    ends: list[int]
    scopes: list[int]

    def features_text(self) -> str:
        """The string the feature extractors read."""
        parts = []
        stop = lexicon.STOPWORDS
        for tok, scope in zip(self.tokens, self.scopes, strict=True):
            if tok in SEPARATORS:
                parts.append(BOUNDARY)
            elif tok in stop:
                parts.append(SKIP)
            elif scope == AFFIRMED:
                parts.append(tok)
            else:
                parts.append(SCOPE_PREFIX[scope] + tok)
        return " ".join(parts)


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
        keep = _compound_keys(entries_from_rows(self.jargon))
        for text in X:
            counts.update(t.text for t in raw_tokens(text, keep) if t.text.isalpha())
        known = sorted(w for w, c in counts.items() if c >= self.min_known_count)
        self.known_words_ = np.array(known, dtype=str)
        self.__dict__.pop("_engine", None)
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        """Normalized feature strings, one per note."""
        engine = self.engine()
        return [engine.analyze(text).features_text() for text in X]

    def analyze(self, text: str) -> NormalizedNote:
        """Tokens, spans and scopes of one note (used for explanations)."""
        return self.engine().analyze(text)

    def engine(self) -> _Engine:
        """The compiled lookup tables, built on first use and never persisted."""
        engine = self.__dict__.get("_engine")
        if engine is None:
            engine = _Engine(self)
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


def _compound_keys(entries: list[JargonEntry]) -> frozenset[str]:
    """Jargon codes the tokenizer must keep whole (``b/m``, ``10-96``, ``d&a``)."""
    keep = {e.code for e in entries if re.search(r"[/&'-]", e.code) and " " not in e.code}
    return frozenset(keep | {"y/o", "s/p", "c/o", "a/o", "r/o", "h/o"})


class _Engine:
    """Compiled state of a fitted ``NoteNormalizer``."""

    def __init__(self, owner: NoteNormalizer) -> None:
        self.owner = owner
        rows = owner.jargon if owner.jargon is not None else jargon_rows(load_jargon())
        entries = [e for e in entries_from_rows(rows) if self._wanted(e)]
        self.keep = _compound_keys(entries)
        known = getattr(owner, "known_words_", np.array([], dtype=str)).tolist()
        key_words = {w for e in entries for w in re.split(r"\W+", e.code + " " + e.expansion)}
        self.typos = TypoCorrector(lexicon.TYPO_TARGETS, set(known) | key_words)
        self.cache: dict[str, str] = {}
        self.chunk_cache: dict[str, tuple[list[tuple[str, str, int, int]], bool]] = {}
        self.index: dict[str, list[tuple[tuple[str, ...], list[str]]]] = {}
        for entry in entries:
            self._add_entry(entry)
        for options in self.index.values():
            options.sort(key=lambda item: -len(item[0]))

    def _wanted(self, entry: JargonEntry) -> bool:
        if not self.owner.use_jargon:
            return False
        return self.owner.demographics or entry.kind != "demographic"

    def _add_entry(self, entry: JargonEntry) -> None:
        key = tuple(self.norm_token(t.text, typo=False) for t in raw_tokens(entry.code, self.keep))
        if not key:
            return
        expansion = [self.norm_token(w, typo=False) for w in entry.expansion.split()]
        options = self.index.setdefault(key[0], [])
        options[:] = [o for o in options if o[0] != key]
        options.append((key, expansion))

    def norm_token(self, tok: str, typo: bool = True) -> str:
        """Per-token normalization: neutral sex words, typo restoration, plural folding."""
        cached = self.cache.get(tok) if typo else None
        if cached is not None:
            return cached
        out = tok
        if self.owner.demographics and tok in lexicon.NEUTRAL_WORDS:
            out = lexicon.NEUTRAL_WORDS[tok]
        elif tok in lexicon.IRREGULAR:
            out = lexicon.IRREGULAR[tok]
        else:
            if typo and self.owner.typos:
                out = self.typos.correct(out)
            out = _fold_plural(out)
        if typo:
            if len(self.cache) > 200_000:
                self.cache.clear()
            self.cache[tok] = out
        return out

    def analyze(self, text: str) -> NormalizedNote:
        """Run every step on one note."""
        raw, toks, has_digits = self._tokenize(text)
        if has_digits:
            toks = _contextualize(raw, toks)
        toks = self._expand(toks)
        toks = _finish(toks, self.owner.demographics, has_digits)
        words = [t.text for t in toks]
        scopes = mark_scopes(words) if self.owner.negation else [AFFIRMED] * len(words)
        return NormalizedNote(words, [t.start for t in toks], [t.end for t in toks], scopes)

    def _tokenize(self, text: str) -> tuple[list[str], list[Tok], bool]:
        """Raw and per-token-normalized tokens, through a cache of whitespace chunks."""
        raw: list[str] = []
        toks: list[Tok] = []
        has_digits = False
        prev_end = 0
        cache = self.chunk_cache
        for m in CHUNK_RE.finditer(text):
            base = m.start()
            if prev_end and "\n" in text[prev_end:base]:
                raw.append(BOUNDARY)
                toks.append(Tok(BOUNDARY, prev_end, base))
            prev_end = m.end()
            chunk = m.group()
            entry = cache.get(chunk)
            if entry is None:
                entry = self._chunk(chunk)
            parts, digits = entry
            has_digits = has_digits or digits
            for raw_text, norm_text, start, end in parts:
                raw.append(raw_text)
                toks.append(Tok(norm_text, base + start, base + end))
        return raw, toks, has_digits

    def _chunk(self, chunk: str) -> tuple[list[tuple[str, str, int, int]], bool]:
        """Tokenize and normalize one chunk, and remember the result."""
        parts = [(t.text, self.norm_token(t.text), t.start, t.end)
                 for t in chunk_tokens(chunk, self.keep)]
        entry = (parts, any(ch.isdigit() for ch in chunk))
        if len(self.chunk_cache) > 200_000:
            self.chunk_cache.clear()
        self.chunk_cache[chunk] = entry
        return entry

    def _expand(self, toks: list[Tok]) -> list[Tok]:
        """Longest-match jargon expansion; expansion words keep the span of the code."""
        out: list[Tok] = []
        i, n = 0, len(toks)
        while i < n:
            options = self.index.get(toks[i].text)
            match = None
            if options:
                for key, expansion in options:
                    k = len(key)
                    if i + k <= n and all(toks[i + j].text == key[j] for j in range(k)):
                        match = (k, expansion)
                        break
            if match is None:
                out.append(toks[i])
                i += 1
                continue
            k, expansion = match
            start, end = toks[i].start, toks[i + k - 1].end
            out.extend(Tok(word, start, end) for word in expansion)
            i += k
        return out


def _fold_plural(tok: str) -> str:
    """``weapons`` -> weapon, ``bodies`` -> body; leaves words like ``glass`` or ``denies``."""
    if len(tok) < 4 or tok[-1] != "s" or tok in lexicon.NOT_PLURAL or not tok.isalpha():
        return tok
    if tok.endswith(("ss", "us", "is")):
        return tok
    if tok.endswith("ies") and len(tok) > 4:
        return tok[:-3] + "y"
    return tok[:-1]


def _contextualize(raw: list[str], toks: list[Tok]) -> list[Tok]:
    """Neutral tokens for addresses, ages, times and identifiers; codes are left alone."""
    out: list[Tok] = []
    i, n = 0, len(toks)
    while i < n:
        text = raw[i]
        tok = toks[i]
        if text[:1].isdigit():
            if _DIGITS.match(text):
                consumed = _number_in_context(raw, toks, i, out)
                if consumed:
                    i += consumed
                    continue
            elif _DECADE.match(text):
                tok = Tok("age", tok.start, tok.end)
        elif _TIMES.match(text):
            tok = Tok("xcount", tok.start, tok.end)
        out.append(tok)
        i += 1
    return out


def _number_in_context(raw: list[str], toks: list[Tok], i: int, out: list[Tok]) -> int:
    """Replace the number at ``i`` (and the words it governs); returns tokens consumed."""
    tok, n = toks[i], len(toks)
    prev = raw[i - 1] if i else ""
    if prev in lexicon.NUMBER_PREFIXES:
        out.append(Tok("num", tok.start, tok.end))
        return 1
    nxt = raw[i + 1] if i + 1 < n else ""
    if nxt in lexicon.AGE_WORDS and len(raw[i]) <= 3:
        k = 2 + (i + 2 < n and raw[i + 2] == "old")
        out.append(Tok("age", tok.start, toks[i + k - 1].end))
        return k
    if prev == "age" and len(raw[i]) <= 3:
        return 1
    if nxt in lexicon.TIME_WORDS:
        out.append(Tok("clocktime", tok.start, toks[i + 1].end))
        return 2
    for k in range(1, 5):
        if i + k >= n or raw[i + k] in SEPARATORS:
            break
        if raw[i + k] in lexicon.STREET_SUFFIXES or raw[i + k] in ("blk", "block"):
            out.append(Tok("addr", tok.start, toks[i + k].end))
            return k + 1
    return 0


def _finish(toks: list[Tok], collapse: bool, has_digits: bool) -> list[Tok]:
    """Numbers left after jargon become ``num``/``time``; runs of ``person`` collapse."""
    out: list[Tok] = []
    for tok in toks:
        text = tok.text
        if has_digits and _HAS_DIGIT.search(text) and not _CODE.match(text):
            text = _number_word(text)
            tok = Tok(text, tok.start, tok.end)
        if collapse and text == "person" and out and out[-1].text == "person":
            out[-1] = Tok("person", out[-1].start, tok.end)
            continue
        out.append(tok)
    return out


def _number_word(text: str) -> str:
    """A neutral word for a number the jargon table did not claim."""
    if _DIGITS.match(text):
        if len(text) == 4 and int(text[:2]) < 24 and int(text[2:]) < 60:
            return "clocktime"
        return "num"
    return "alnum"
