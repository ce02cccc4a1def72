"""Marking the words that drove each tag in a narrative."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.console.highlight import highlight, phrases_of

NOTE = "DOMESTIC IN PROGRESS, BF HAS A KNIFE W/KNIFE. NO WEAPONS SEEN ON RP; HEARING-VOICES"


def _marked(result, tag):  # type: ignore[no-untyped-def]
    return [s.text for s in result.segments if tag in s.tags]


def test_every_occurrence_is_marked_case_insensitively_across_punctuation():
    result = highlight(NOTE, {"weapon": ["knife"], "mental_health": ["hearing voices"]}, {})
    assert _marked(result, "weapon") == ["KNIFE", "KNIFE"]
    assert _marked(result, "mental_health") == ["HEARING-VOICES"]
    assert result.not_found == {}


def test_words_inside_other_words_are_not_marked():
    result = highlight("KNIFER GUNNAR", {"weapon": ["knife", "gun"]}, {})
    assert _marked(result, "weapon") == []
    assert result.not_found == {"weapon": ["knife", "gun"]}


def test_negated_cues_are_separate_and_lose_to_evidence():
    result = highlight(NOTE, {"weapon": ["knife"]}, {"weapon": ["no weapons", "knife"]})
    negated = [s.text for s in result.segments if s.negated]
    assert negated == ["NO WEAPONS"]
    assert all(not s.negated for s in result.segments if s.tags)


def test_overlapping_tags_share_a_segment():
    result = highlight(
        "HAS A GUN TO HIS HEAD", {"weapon": ["gun"], "mental_health": ["gun to his head"]}, {}
    )
    both = [s.text for s in result.segments if set(s.tags) == {"weapon", "mental_health"}]
    assert both == ["GUN"]


def test_phrases_accept_strings_or_dicts_and_ignore_junk():
    entry = {"evidence": ["knife", {"phrase": "gun"}, {"weight": 1}, 3], "negated": None}
    assert phrases_of(entry, "evidence") == ["knife", "gun"]
    assert phrases_of(entry, "negated") == []
    assert phrases_of("not a dict", "evidence") == []


@given(st.text(max_size=200), st.lists(st.text(max_size=12), max_size=4))
def test_segments_always_rebuild_the_text(text, phrases):
    result = highlight(text, {"weapon": phrases}, {"drugs": phrases[:1]})
    assert "".join(s.text for s in result.segments) == text


def test_each_run_of_marks_is_labelled_once_with_all_its_tags():
    result = highlight(
        "HEARING VOICES, OFF MEDS", {"mental_health": ["hearing voices"], "drugs": ["voices"]}, {}
    )
    labelled = [(s.text, s.label) for s in result.segments if s.label]
    assert labelled == [("VOICES", ("drugs", "mental_health"))]
    assert [s.text for s in result.segments if s.tags] == ["HEARING ", "VOICES"]
