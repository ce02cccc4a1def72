"""Mark the words of a narrative that drove each tag, and the cues the classifier saw negated.

Evidence phrases come from the classifier (``explanation.tags[tag].evidence``), normalised:
lower case, jargon expanded. A phrase is found in the note when its words appear in order,
separated only by spaces or punctuation; phrases that do not appear verbatim (an expanded
abbreviation, say) are listed beside the tag instead of highlighted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Segment:
    """A run of narrative text and the tags that mark it (positive evidence or negated cue)."""

    text: str
    tags: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    label: tuple[str, ...] = ()  # on the last segment of a marked run: every tag in the run

    @property
    def marked(self) -> bool:
        """True when the segment is evidence or a negated cue."""
        return bool(self.tags or self.negated)


@dataclass(frozen=True)
class Highlighted:
    """A narrative cut into segments, with the phrases that could not be located."""

    segments: list[Segment]
    not_found: dict[str, list[str]]


def phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """A case-insensitive pattern for the phrase's words in order, or None if it has none."""
    words = _WORD.findall(phrase)
    if not words:
        return None
    body = r"[\W_]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def phrases_of(entry: Any, key: str) -> list[str]:
    """The phrases under ``key`` of one tag's explanation, tolerating strings or dicts."""
    if not isinstance(entry, dict):
        return []
    phrases = []
    for item in entry.get(key) or []:
        if isinstance(item, str):
            phrases.append(item)
        elif isinstance(item, dict) and isinstance(item.get("phrase"), str):
            phrases.append(item["phrase"])
    return phrases


def _spans(text: str, phrase: str) -> list[tuple[int, int]]:
    pattern = phrase_pattern(phrase)
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _mark(
    text: str, cues: dict[str, list[str]], marks: list[set[str]], not_found: dict[str, list[str]]
) -> None:
    for tag, phrases in cues.items():
        for phrase in phrases:
            spans = _spans(text, phrase)
            if not spans:
                not_found.setdefault(tag, []).append(phrase)
            for start, end in spans:
                for i in range(start, end):
                    marks[i].add(tag)


def highlight(
    text: str, evidence: dict[str, list[str]], negated: dict[str, list[str]]
) -> Highlighted:
    """Cut ``text`` into segments marked with the tags whose evidence or negated cues they hold.

    A stretch that is evidence for a tag is not also shown as negated for that tag.
    """
    positive: list[set[str]] = [set() for _ in text]
    negative: list[set[str]] = [set() for _ in text]
    not_found: dict[str, list[str]] = {}
    _mark(text, evidence, positive, not_found)
    _mark(text, negated, negative, {})
    segments: list[Segment] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or _key(positive, negative, i) != _key(positive, negative, start):
            tags, neg = _key(positive, negative, start)
            segments.append(Segment(text[start:i], tags, neg))
            start = i
    return Highlighted(segments=_label_runs(segments), not_found=not_found)


def _label_runs(segments: list[Segment]) -> list[Segment]:
    """Label each run of adjacent evidence segments once, at its end, with all its tags."""
    out: list[Segment] = []
    run: set[str] = set()
    for index, segment in enumerate(segments):
        run |= set(segment.tags)
        last_of_run = index + 1 == len(segments) or not segments[index + 1].tags
        if segment.tags and last_of_run:
            segment = Segment(segment.text, segment.tags, segment.negated, tuple(sorted(run)))
        if not segment.tags or last_of_run:
            run = set()
        out.append(segment)
    return out


def _key(
    positive: list[set[str]], negative: list[set[str]], i: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tags = tuple(sorted(positive[i]))
    return tags, tuple(sorted(negative[i] - positive[i]))


def cue_map(explanation_tags: Any, key: str, tags: Iterable[str]) -> dict[str, list[str]]:
    """``{tag: phrases}`` for the given tags from ``explanation.tags``."""
    if not isinstance(explanation_tags, dict):
        return {}
    return {tag: phrases_of(explanation_tags.get(tag), key) for tag in tags}
