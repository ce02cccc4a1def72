"""The compiled normalizer: lookup tables and the per-note hot path (see ``normalize.py``).

Speed matters here (the service classifies one note in well under a millisecond and the batch
path scores tens of thousands per second), so the work is arranged around two caches: one per
whitespace chunk ("W/KNIFE,", "22YOA") holding its normalized tokens, and one per token.
Single-token jargon is applied inside the chunk cache; multi-token jargon, numbers in context
and everything that depends on neighbouring chunks run in one pass over the note.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate, chain, compress, count
from operator import add, itemgetter
from typing import TYPE_CHECKING, cast, overload

import numpy as np

from . import lexicon
from .jargon import JargonEntry, entries_from_rows, jargon_rows, load_jargon
from .negation import AFFIRMED, mark_scopes
from .tokens import BOUNDARY, SEPARATORS, chunk_tokens, raw_tokens
from .typos import TypoCorrector

if TYPE_CHECKING:
    from .normalize import NormalizedNote, NoteNormalizer

_DIGITS = re.compile(r"^\d+$")
_DECADE = re.compile(r"^\d0s$")
_TIMES = re.compile(r"^x\d+$")
_CODE = re.compile(r"^\d+-\d+")
_CACHE_LIMIT = 200_000
ChunkEntry = tuple[list[str], list[int], list[int]]
_LINE_BREAK: ChunkEntry = ([BOUNDARY], [0], [0])  # a line break's entry (spans: ChunkSpans)
_NUMERIC_START = frozenset("0123456789.")
_WHITE = re.compile(r"(\s+)")  # ``\s`` is exactly ``str.split``'s white space


def compound_keys(entries: list[JargonEntry]) -> frozenset[str]:
    """Jargon codes the tokenizer must keep whole (``b/m``, ``10-96``, ``d&a``)."""
    keep = {e.code for e in entries if re.search(r"[/&'-]", e.code) and " " not in e.code}
    return frozenset(keep | {"y/o", "s/p", "c/o", "a/o", "r/o", "h/o"})


class Engine:
    """Compiled state of a fitted ``NoteNormalizer``."""

    def __init__(self, owner: NoteNormalizer) -> None:
        self.owner = owner
        rows = owner.jargon if owner.jargon is not None else jargon_rows(load_jargon())
        entries = [e for e in entries_from_rows(rows) if self._wanted(e)]
        self.keep = compound_keys(entries)
        known = getattr(owner, "known_words_", np.array([], dtype=str)).tolist()
        key_words = {w for e in entries for w in re.split(r"\W+", e.code + " " + e.expansion)}
        self.typos = TypoCorrector(
            lexicon.TYPO_TARGETS, set(known) | key_words | lexicon.protected_words()
        )
        self.cache: dict[str, str] = {}
        self.chunks: dict[str, ChunkEntry] = {}
        self.single: dict[str, list[str]] = {}
        self.multi: dict[str, list[tuple[tuple[str, ...], list[str]]]] = {}
        for entry in entries:
            self._add_entry(entry)
        for options in self.multi.values():
            options.sort(key=lambda item: -len(item[0]))
        # Words of multi-token keys stay unexpanded in the chunk cache (so that keys can match);
        # the second pass only needs to look at key starts and at deferred single-token codes.
        self.deferred = frozenset(w for opts in self.multi.values() for k, _ in opts for w in k)
        self.second = frozenset(self.multi) | (self.deferred & frozenset(self.single))
        self.attention = self.second | {"person"}  # words _second_pass must look at
        self.looks: tuple[dict[str, bool], dict[str, bool]] = ({}, {})  # ``_looks``' tables
        # Key starts that are nothing else ("the", "a"): the words that may follow them in a
        # key. Followed by anything else, such a word is copied as it is.
        self.gated = {
            word: frozenset(key[1] for key, _ in options)
            for word, options in self.multi.items()
            if word not in self.single and word != "person" and word[0] not in _NUMERIC_START
        }

    def _wanted(self, entry: JargonEntry) -> bool:
        if not self.owner.use_jargon:
            return False
        return self.owner.demographics or entry.kind != "demographic"

    def _add_entry(self, entry: JargonEntry) -> None:
        key = tuple(self.norm_token(t.text, typo=False) for t in raw_tokens(entry.code, self.keep))
        if not key:
            return
        expansion = [self.norm_token(w, typo=False) for w in entry.expansion.split()]
        if len(key) == 1:
            self.single[key[0]] = expansion
            return
        options = self.multi.setdefault(key[0], [])
        options[:] = [o for o in options if o[0] != key]
        options.append((key, expansion))

    def norm_token(self, tok: str, typo: bool = True) -> str:
        """Per-token normalization: neutral sex words, typo restoration, plural folding."""
        cached = self.cache.get(tok) if typo else None
        if cached is not None:
            return cached
        if self.owner.demographics and tok in lexicon.NEUTRAL_WORDS:
            out = lexicon.NEUTRAL_WORDS[tok]
        elif tok in lexicon.IRREGULAR:
            out = lexicon.IRREGULAR[tok]
        else:
            out = self.typos.correct(tok) if typo and self.owner.typos else tok
            out = _fold_plural(out)
        if typo:
            if len(self.cache) > _CACHE_LIMIT:
                self.cache.clear()
            self.cache[tok] = out
        return out

    def analyze(self, text: str) -> NormalizedNote:
        """Run every step on one note."""
        from .normalize import NormalizedNote

        words, spans = self._tokenize(text)
        # The second pass carries token numbers, not character offsets: spans are looked up
        # only for the few tokens an explanation quotes (offsets grow with token numbers, so
        # the token a merged span starts or ends at is the same either way).
        numbers = list(range(len(words)))
        words, firsts, lasts = self._second_pass(words, numbers, numbers[:])
        if self.owner.demographics:
            _neutralize_places(words)
        scopes = mark_scopes(words) if self.owner.negation else [AFFIRMED] * len(words)
        starts, ends = SpanView(firsts, spans.start), SpanView(lasts, spans.end)
        return NormalizedNote(words, starts, ends, scopes)

    def words(self, text: str) -> tuple[list[str], list[int]]:
        """Tokens and scopes without spans: the fast path of ``analyze`` (same tokens)."""
        words: list[str] = []
        get, make = self.chunks.get, self._chunk
        for line in text.split("\n") if "\n" in text else (text,):
            pieces = line.split()
            if not pieces:
                continue
            if words:
                words.append(BOUNDARY)
            # (an entry is a non-empty tuple, so ``or`` only builds the missing ones)
            words.extend(chain.from_iterable([(get(c) or make(c))[0] for c in pieces]))
        words = self._second_pass(words, None, None)[0]
        if self.owner.demographics:
            _neutralize_places(words)
        scopes = mark_scopes(words) if self.owner.negation else [AFFIRMED] * len(words)
        return words, scopes

    def _tokenize(self, text: str) -> tuple[list[str], ChunkSpans]:
        """Normalized tokens through the chunk cache, and their spans (computed on demand,
        ``ChunkSpans``). Chunks come from ``str.split``; in a note with line breaks, a line's
        chunks follow a ``|`` token when an earlier line had any (as ``raw_tokens`` reads it)."""
        pieces = text.split()
        spaced = " ".join(pieces) != text
        marks: list[int] = []
        if spaced and "\n" in text:
            pieces = []
            for line in text.split("\n"):
                chunks = line.split()
                if chunks:
                    if pieces:
                        marks.append(len(pieces))
                        pieces.append("\n")  # never a chunk: it stands for the line break
                    pieces.extend(chunks)
        found: list[ChunkEntry | None] = list(map(self.chunks.get, pieces))
        if None in found:
            make = self._chunk
            found = [
                e if e is not None else (_LINE_BREAK if c == "\n" else make(c))
                for e, c in zip(found, pieces, strict=True)
            ]
        entries = cast(list[ChunkEntry], found)
        words = list(chain.from_iterable(map(itemgetter(0), entries)))
        return words, ChunkSpans(pieces, entries, text if spaced else None, marks)

    def _tokenize_spaced(self, text: str) -> tuple[list[str], list[int], list[int]]:
        """Normalized tokens and spans, through the chunk cache. A chunk starts at the first
        occurrence of its text at or after the end of the previous one (only white space lies
        between), so ``str.split`` and ``str.find`` give the spans ``CHUNK_RE`` would."""
        words: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        lines = "\n" in text
        prev_end = 0
        chunks = self.chunks
        find = text.find
        for chunk in text.split():
            base = find(chunk, prev_end)
            if lines and prev_end and "\n" in text[prev_end:base]:
                words.append(BOUNDARY)
                starts.append(prev_end)
                ends.append(base)
            prev_end = base + len(chunk)
            entry = chunks.get(chunk)
            if entry is None:
                entry = self._chunk(chunk)
            chunk_words, rel_starts, rel_ends = entry
            if len(chunk_words) == 1:
                words.append(chunk_words[0])
                starts.append(base + rel_starts[0])
                ends.append(base + rel_ends[0])
            else:
                words.extend(chunk_words)
                starts.extend([base + r for r in rel_starts])
                ends.extend([base + r for r in rel_ends])
        return words, starts, ends

    def _chunk(self, chunk: str) -> ChunkEntry:
        """Tokenize and normalize one chunk (single-token jargon included), and cache it."""
        digits = any(ch.isdigit() for ch in chunk)
        words: list[str] = []
        rel_starts: list[int] = []
        rel_ends: list[int] = []
        for tok in chunk_tokens(chunk, self.keep):
            word = self.norm_token(tok.text)
            if _DECADE.match(word):
                word = "age"
            elif _TIMES.match(word):
                word = "xcount"
            expansion = None if digits or word in self.deferred else self.single.get(word)
            for out in expansion if expansion is not None else (word,):
                words.append(out)
                rel_starts.append(tok.start)
                rel_ends.append(tok.end)
        entry = (words, rel_starts, rel_ends)
        if len(self.chunks) > _CACHE_LIMIT:
            self.chunks.clear()
        self.chunks[chunk] = entry
        return entry

    def _second_pass(
        self, words: list[str], starts: list[int] | None, ends: list[int] | None
    ) -> tuple[list[str], list[int], list[int]]:
        """Numbers in context, multi-token and deferred jargon, ``person`` runs. Spans are
        carried along when given (explanations) and skipped otherwise (scoring)."""
        out_w: list[str] = []
        out_s: list[int] = []
        out_e: list[int] = []
        track = starts is not None and ends is not None
        second, collapse = self.second, self.owner.demographics
        attention = self.attention if collapse else second
        # Only numbers, jargon starts and "person" need a look; runs of other words are copied
        # as they are (the loop below would append them one by one).
        spots = list(compress(range(len(words)), self._looks(words, attention, collapse)))
        if not spots:
            return words, (starts or []), (ends or [])
        i, n = 0, len(words)
        gated = self.gated
        lone = collapse and "person" not in second  # a "person" only collapses into another
        for spot in spots:
            if spot < i:
                continue  # consumed by a jargon key or a number in context
            word = words[spot]
            follow = gated.get(word)
            if follow is not None and (spot + 1 == n or words[spot + 1] not in follow):
                continue  # a key start no key follows: copied with the run after it
            if word == "person" and lone and spot > i and words[spot - 1] != "person":
                continue  # copied too: the word before it (copied as it is) is no "person"
            if spot > i:
                out_w.extend(words[i:spot])
                if track:
                    out_s.extend(starts[i:spot])  # type: ignore[index]
                    out_e.extend(ends[i:spot])  # type: ignore[index]
            i = self._second_step(words, starts, ends, spot, out_w, out_s, out_e)
        if i < n:
            out_w.extend(words[i:])
            if track:
                out_s.extend(starts[i:])  # type: ignore[index]
                out_e.extend(ends[i:])  # type: ignore[index]
        return out_w, out_s, out_e

    def _looks(self, words: list[str], attention: frozenset[str], collapse: bool) -> list[bool]:
        """Per word: does the second pass need to look at it (in ``attention``, or starting
        like a number)? Cached per word, one table per ``attention`` set."""
        cache = self.looks[collapse]
        flags: list[bool | None] = list(map(cache.get, words))
        if None in flags:
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            for i, word in enumerate(words):
                if flags[i] is None:
                    flags[i] = cache[word] = word in attention or word[0] in _NUMERIC_START
        return cast(list[bool], flags)

    def _second_step(
        self,
        words: list[str],
        starts: list[int] | None,
        ends: list[int] | None,
        i: int,
        out_w: list[str],
        out_s: list[int],
        out_e: list[int],
    ) -> int:
        """One position of ``_second_pass``; returns the next position to read."""
        track = starts is not None and ends is not None
        second, collapse = self.second, self.owner.demographics
        word = words[i]
        numeric = word[0] in _NUMERIC_START
        if numeric or word in second:  # a number or a jargon start: expand it if it matches
            k, expansion = 0, None
            if numeric:
                k, replacement = _number_in_context(words, i)
                expansion = ([replacement] if replacement else []) if k else None
            if not k:
                k, expansion = self._match(words, i)
            if k and expansion is not None:
                out_w.extend(expansion)
                if track:
                    out_s.extend([starts[i]] * len(expansion))  # type: ignore[index]
                    out_e.extend([ends[i + k - 1]] * len(expansion))  # type: ignore[index]
                return i + k
            if numeric and not _CODE.match(word):
                word = _number_word(word)
        if collapse and word == "person" and out_w and out_w[-1] == "person":
            if track:
                out_e[-1] = ends[i]  # type: ignore[index]
        else:
            out_w.append(word)
            if track:
                out_s.append(starts[i])  # type: ignore[index]
                out_e.append(ends[i])  # type: ignore[index]
        return i + 1

    def _match(self, words: list[str], i: int) -> tuple[int, list[str] | None]:
        """Longest jargon key starting at ``i``: (length, expansion) or (0, None)."""
        for key, expansion in self.multi.get(words[i], ()):
            k = len(key)
            if tuple(words[i : i + k]) == key:
                return k, expansion
        single = self.single.get(words[i])
        return (1, single) if single is not None else (0, None)


class ChunkSpans:
    """Character spans of a note's tokens, by token number, looked up on demand from its
    chunks (``pieces``, a line break as ``"\\n"``, and their cache ``entries``): the chunk
    holding a token is found by bisection over the running token counts, and its start in
    the note is one past the end of the previous chunk in a single-spaced note (``text``
    None), otherwise from the note's white space runs. A line break's ``|`` spans the white
    space between the chunks around it."""

    def __init__(
        self,
        pieces: list[str],
        entries: list[ChunkEntry],
        text: str | None = None,
        marks: list[int] | None = None,
    ) -> None:
        self.pieces = pieces
        self.entries = entries
        self.text = text
        self.marks = marks or []
        self._bounds: list[int] | None = None
        self._bases: list[int] = []

    def _prepare(self) -> list[int]:
        """The running token counts (chunk ``k`` ends before token ``bounds[k]``) and every
        chunk's start offset (-1 for a line break's place), computed on the first lookup."""
        bounds = list(accumulate(map(len, map(itemgetter(0), self.entries))))
        if self.text is None:
            # chunk k starts after the k chunks before it and the k spaces between them
            bases = list(map(add, accumulate(map(len, self.pieces), initial=0), count()))
        else:
            parts = _WHITE.split(self.text)
            offsets = list(accumulate(map(len, parts), initial=0))
            bases = offsets[2 if parts[0] == "" else 0 :: 2]
            for k in self.marks:
                bases.insert(k, -1)
        self._bases = bases
        self._bounds = bounds
        return bounds

    def start(self, token: int) -> int:
        """Start offset of a token in the note."""
        bounds = self._bounds
        if bounds is None:
            bounds = self._prepare()
        k = bisect_right(bounds, token)  # the chunk holding the token
        bases = self._bases
        if self.marks and k in self.marks:
            return bases[k - 1] + len(self.pieces[k - 1])
        return bases[k] + self.entries[k][1][token - bounds[k - 1] if k else token]

    def end(self, token: int) -> int:
        """End offset of a token in the note."""
        bounds = self._bounds
        if bounds is None:
            bounds = self._prepare()
        k = bisect_right(bounds, token)
        bases = self._bases
        if self.marks and k in self.marks:
            return bases[k + 1]
        return bases[k] + self.entries[k][2][token - bounds[k - 1] if k else token]


class SpanView(Sequence[int]):
    """Start (or end) offsets of a normalized note's tokens: token ``i`` of the note spans
    from the start of raw token ``firsts[i]`` to the end of raw token ``lasts[i]``."""

    def __init__(self, numbers: list[int], offset: Callable[[int], int]) -> None:
        self.numbers = numbers
        self.offset = offset

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> list[int]: ...
    def __getitem__(self, i: int | slice) -> int | list[int]:
        if type(i) is int:
            return self.offset(self.numbers[i])
        return [self.offset(n) for n in self.numbers[cast(slice, i)]]

    def __len__(self) -> int:
        return len(self.numbers)


_PLACE_AFTER = frozenset({"lives", "live", "living", "resides", "reside"})
_PLACE_BEFORE = frozenset({"neighborhood", "area", "district", "section", "projects"})
_PLACE_KEEP = SEPARATORS | {"in", "the", "of", "from"}


def _neutralize_places(words: list[str]) -> None:
    """Neighborhood names carry no information: "LIVES IN EASTLAKE" and "THE NORTH END AREA"
    become ``neighborhood`` (in place, so spans stay aligned)."""
    if _PLACE_AFTER.isdisjoint(words) and _PLACE_BEFORE.isdisjoint(words):
        return  # the loop below would change nothing
    original = list(words)
    n = len(words)
    for i, word in enumerate(original):
        if word in _PLACE_AFTER and i + 1 < n and original[i + 1] == "in":
            j = i + 2
            while j < n and j < i + 5 and original[j] not in SEPARATORS:
                words[j] = "neighborhood"
                j += 1
        elif word in _PLACE_BEFORE:
            for j in (i - 1, i - 2):
                if j >= 0 and original[j] not in _PLACE_KEEP and original[j] not in _PLACE_AFTER:
                    words[j] = "neighborhood"


def _fold_plural(tok: str) -> str:
    """``weapons`` -> weapon, ``bodies`` -> body; leaves words like ``glass`` or ``denies``."""
    if len(tok) < 4 or tok[-1] != "s" or tok in lexicon.NOT_PLURAL or not tok.isalpha():
        return tok
    if tok.endswith(("ss", "us", "is")):
        return tok
    if tok.endswith("ies") and len(tok) > 4:
        return tok[:-3] + "y"
    return tok[:-1]


def _number_in_context(words: list[str], i: int) -> tuple[int, str]:
    """(tokens consumed, replacement) for a number at ``i`` governed by its neighbours:
    addresses, ages, clock times, unit and room numbers; ``(0, "")`` when it stands alone."""
    if not _DIGITS.match(words[i]):
        return 0, ""
    n = len(words)
    prev = words[i - 1] if i else ""
    nxt = words[i + 1] if i + 1 < n else ""
    if prev in lexicon.NUMBER_PREFIXES:
        return 1, "num"
    if nxt in lexicon.AGE_WORDS and len(words[i]) <= 3:
        return 2 + (i + 2 < n and words[i + 2] == "old"), "age"
    if prev == "age" and len(words[i]) <= 3:
        return 1, ""
    if nxt in lexicon.TIME_WORDS:
        return 2, "clocktime"
    for k in range(1, 4):
        if i + k >= n or words[i + k] in SEPARATORS:
            break
        if words[i + k] in lexicon.STREET_SUFFIXES:
            return k + 1, "addr"
        if words[i + k] in lexicon.STOPWORDS:
            break
    return 0, ""


def _number_word(text: str) -> str:
    """A neutral word for a number the jargon table did not claim."""
    if _DIGITS.match(text):
        if len(text) == 4 and int(text[:2]) < 24 and int(text[2:]) < 60:
            return "clocktime"
        return "num"
    return "alnum"
