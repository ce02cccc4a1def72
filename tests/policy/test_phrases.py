"""Phrase matching: case-insensitive, whole words, whitespace-tolerant, longest phrase first."""

from __future__ import annotations

import pytest

from service.policy.phrases import PhraseMatcher

MATCHER = PhraseMatcher(["shots", "Shots Fired", "o/d", "HI", "ar-15"])


@pytest.mark.parametrize(
    ("note", "found"),
    [
        ("rp hears shots\tfired behind bldg", "Shots Fired"),
        ("several shots, no one hurt", "shots"),
        ("poss o/d in restroom", "o/d"),
        ("pt states hi toward neighbor", "HI"),
        ("has an ar-15 in trunk", "ar-15"),
        ("said hello, hid in shed, chili", None),  # "hi" only as a whole word
        ("ar-150 serial", None),
        ("", None),
    ],
)
def test_first_phrase(note: str, found: str | None) -> None:
    assert MATCHER.first(note.lower()) == found


def test_empty_collection_never_matches() -> None:
    assert PhraseMatcher([]).first("anything") is None
