"""Tokenizing dispatch notes: raw tokens with their spans in the original text.

CAD notes are terse and glued together ("W/KNIFE", "22YOA", "NO WPNS.HEARING VOICES"), so the
tokenizer is written for them rather than for prose. Every token keeps the character span it came
from, so that explanations can quote the original words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .lexicon import BARE_CONTRACTIONS

BOUNDARY = "|"
SEPARATORS = frozenset({BOUNDARY, ",", "/", ":", "?"})


class Tok(NamedTuple):
    """One token: its (lower-cased, normalized) text and the original character span."""

    text: str
    start: int
    end: int


CHUNK_RE = re.compile(r"\S+")
_TOKEN_RE = re.compile(
    r"""
    (?P<clock>\d{1,2}:\d{2}(?::\d{2})?)
  | (?P<phone>\d{3}[.-]\d{3}[.-]\d{4}|\b\d{3}-\d{4}\b|\(\d{3}\))
  | (?P<money>\$\d[\d,]*(?:\.\d+)?)
  | (?P<caliber>(?<![\w.$])\.\d{2,3}\b)
  | (?P<without>\b[Ww]/[Oo](?![A-Za-z]))
  | (?P<with>\b[Ww]/(?![A-Za-z](?![A-Za-z])))
  | (?P<decimal>\d+\.\d+)
  | (?P<word>[A-Za-z0-9]+(?:['’][A-Za-z]+)*(?:[/&-][A-Za-z0-9]+(?:['’][A-Za-z]+)*)*)
  | (?P<stop>[.;!]+|^-{1,3}$|-{2,}|\*{2,}|=>|->)
  | (?P<sep>[,/:?])
  | (?P<amp>&|@|\+|\#)
    """,
    re.VERBOSE,
)

_CONTRACTIONS = {"won": "will", "can": "can", "ca": "can", "sha": "shall", "ai": "is"}
_SUFFIXES = {"'ll": "will", "'re": "are", "'ve": "have", "'m": "am", "'d": "would"}
_GLUED = re.compile(r"^(\d+)(yoa|yo|yrs|yr|hrs|hr|pc|hs|vc|cal|ga|am|pm|x)$")
_AMP = {"&": "and", "@": "at", "+": "plus", "#": "number"}


def raw_tokens(text: str, keep: frozenset[str] = frozenset()) -> list[Tok]:
    """Split a note into lower-cased tokens with spans; ``keep`` lists compound tokens
    (``b/m``, ``10-96``, ``d&a``) that must not be split further."""
    out: list[Tok] = []
    prev_end = 0
    for chunk in CHUNK_RE.finditer(text):
        base = chunk.start()
        if "\n" in text[prev_end:base] and prev_end:
            out.append(Tok(BOUNDARY, prev_end, base))
        prev_end = chunk.end()
        out.extend(Tok(t, base + s, base + e) for t, s, e in chunk_tokens(chunk.group(), keep))
    return out


def chunk_tokens(chunk: str, keep: frozenset[str] = frozenset()) -> list[Tok]:
    """Tokens of one whitespace-free chunk, with offsets relative to the chunk."""
    out: list[Tok] = []
    for m in _TOKEN_RE.finditer(chunk):
        kind = m.lastgroup
        start, end = m.span()
        if kind == "word":
            _word_tokens(m.group().lower(), start, end, keep, out)
        elif kind == "stop":
            out.append(Tok(BOUNDARY, start, end))
        elif kind == "sep":
            out.append(Tok(m.group(), start, end))
        elif kind == "amp":
            out.append(Tok(_AMP[m.group()], start, end))
        elif kind in ("with", "without"):
            out.append(Tok(kind, start, end))
        elif kind == "clock":
            out.append(Tok("clocktime", start, end))
        elif kind in ("phone", "money"):
            out.append(Tok(kind, start, end))
        else:  # caliber, decimal
            out.append(Tok(m.group().lower(), start, end))
    return out


def _word_tokens(word: str, start: int, end: int, keep: frozenset[str], out: list[Tok]) -> None:
    """Append the tokens of one regex word: compounds split unless known, clitics expanded."""
    word = word.replace("’", "'")
    if word in keep:
        out.append(Tok(word, start, end))
        return
    if "/" in word or "&" in word or "-" in word:
        if re.fullmatch(r"\d+-\d+[a-z]?", word):
            out.append(Tok(word, start, end))
            return
        _split_compound(word, start, keep, out)
        return
    if re.fullmatch(r"\d0'?s", word):
        out.append(Tok("age", start, end))
        return
    glued = _GLUED.match(word)
    if glued:
        number, suffix = glued.groups()
        out.append(Tok(number, start, start + len(number)))
        out.append(Tok(suffix, start + len(number), end))
        return
    for part in _expand_clitics(word):
        out.append(Tok(part, start, end))


def _split_compound(word: str, start: int, keep: frozenset[str], out: list[Tok]) -> None:
    """Split ``drugs/etoh`` into ``drugs / etoh`` and ``self-harm`` into ``self harm``."""
    for m in re.finditer(r"[a-z0-9']+|[/&]", word):
        piece = m.group()
        s, e = start + m.start(), start + m.end()
        if piece == "&":
            out.append(Tok("and", s, e))
        elif piece == "/":
            out.append(Tok("/", s, e))
        else:
            _word_tokens(piece, s, e, keep, out)


def _expand_clitics(word: str) -> list[str]:
    """``can't`` -> can not, ``he'll`` -> he will, ``rp's`` -> rp, ``didnt`` -> did not."""
    if "'" not in word:
        bare = BARE_CONTRACTIONS.get(word)
        return list(bare) if bare else [word]
    if word.endswith("n't"):
        base = word[:-3]
        if not base:  # a stray "n't" (a typing slip): the negation alone, never an empty word
            return ["not"]
        return [_CONTRACTIONS.get(base, base), "not"]
    head, _, tail = word.rpartition("'")
    suffix = "'" + tail
    if suffix in _SUFFIXES:
        return [head, _SUFFIXES[suffix]]
    if tail == "s" and head:
        return [head]
    return [word.replace("'", "")]
