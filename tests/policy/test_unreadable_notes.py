"""A note the model cannot read (no words, or mostly unknown words) always goes to review."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
import yaml

from service.classifier.artifact import load_model
from service.config import get_settings
from service.policy import Policy, decide, load_default_policy, parse_policy
from service.policy.conditions import TagState
from service.policy.simulate import StoredCall, simulate
from tests.policy.factories import prediction


@pytest.fixture(scope="module")
def default() -> Policy:
    return load_default_policy()


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model(get_settings().model_path)


def counted(words: tuple[int, int] | None, present: frozenset[str] = frozenset()) -> object:
    return dataclasses.replace(prediction(present), words=words)


def reasons(policy: Policy, words: tuple[int, int] | None, note: str = "") -> list[str]:
    decision = decide(policy, counted(words), call_type=None, narrative=note)
    assert decision.needs_review == bool(decision.review_reasons)
    return decision.review_reasons


def test_no_words_and_mostly_unknown_words_need_review(default: Policy) -> None:
    assert reasons(default, (0, 0)) == [
        "the note has no words to read: nothing to tag, read the call"
    ]
    assert reasons(default, (1, 4)) == [
        "the model knows only 1 of 4 words in the note (another language, or codes missing "
        "from the jargon table?): its tags may miss what it says"
    ]
    assert reasons(default, (2, 4)) == []  # half known: at the default 0.5, not below it
    assert reasons(default, (9, 9)) == []
    assert reasons(default, None) == []  # not counted (an older record): not checked


def test_the_review_never_changes_the_mode_or_backup(default: Policy) -> None:
    for present in (frozenset(), frozenset({"weapon"}), frozenset({"mental_health"})):
        readable = decide(default, counted((5, 5), present), call_type=None, narrative="")
        unreadable = decide(default, counted((0, 5), present), call_type=None, narrative="")
        assert (unreadable.response_mode, unreadable.backup_level) == (
            readable.response_mode,
            readable.backup_level,
        )
        assert unreadable.needs_review


def test_the_share_is_policy_configurable_and_can_be_switched_off(default: Policy) -> None:
    document = yaml.safe_load(default.text)
    document["uncertainty"]["min_recognized_words"] = 0.8
    strict = parse_policy(yaml.safe_dump(document), "strict.yaml")
    assert reasons(strict, (3, 4)) and not reasons(default, (3, 4))
    document["uncertainty"]["min_recognized_words"] = None
    assert reasons(parse_policy(yaml.safe_dump(document), "off.yaml"), (0, 0)) == []
    document["uncertainty"]["min_recognized_words"] = 1.5
    with pytest.raises(Exception, match="min_recognized_words"):
        parse_policy(yaml.safe_dump(document), "bad.yaml")


@pytest.mark.parametrize(
    ("note", "review"),
    [
        ("   ", True),
        ("HOMBRE CON UN CUCHILLO EN LA COCINA, DICE QUE SE VA A MATAR", True),
        ("HOMME AVEC UN COUTEAU DANS LA CUISINE, IL VEUT SE TUER", True),
        ("ASDF QWER ZXCV", True),
        ("MALE WITH A KNIFE IN THE KITCHEN SAYS HE WILL KILL HIMSELF", False),
        ("LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL", False),
        ("10-32 / 10-52F 1234 MAIN ST, 2 B/M 20S", False),
    ],
)
def test_the_shipped_model_counts_words_the_policy_reads(  # type: ignore[no-untyped-def]
    default: Policy, model, note: str, review: bool
) -> None:
    found = decide(default, model.classify(note), call_type=None, narrative=note).review_reasons
    assert any("words" in reason for reason in found) == review, found


def test_a_replay_uses_the_counts_stored_with_the_call(default: Policy) -> None:
    states = {
        name: TagState(r.probability, r.present, r.uncertain)
        for name, r in prediction(frozenset()).tags.items()
    }
    call = StoredCall(
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        tags=states,
        call_type=None,
        narrative="ASDF QWER",
        response_mode="patrol",
        backup_level=0,
        needs_review=False,
    )
    assert simulate(default, [call]).review_after == 0  # no counts stored: not checked
    assert simulate(default, [dataclasses.replace(call, words=(0, 2))]).review_after == 1


def test_stored_calls_read_the_counts_from_the_stored_explanation(configured: str) -> None:
    from service import db
    from service.policy.simulate import stored_calls
    from tests.policy.test_simulate_cli import recommendation, tags

    with_counts = recommendation(1, 1, tags(), "patrol", 0, "ASDF QWER")
    with_counts.explanation = {"words": {"recognized": 0, "content": 2}}
    older = recommendation(2, 1, tags(), "patrol", 0, "LOUD MUSIC")  # stored before the counts
    with db.session_scope(write=True) as session:
        session.add_all([with_counts, older])
    with db.session_scope() as session:
        calls = {call.narrative: call.words for call in stored_calls(session)}
    assert calls == {"ASDF QWER": (0, 2), "LOUD MUSIC": None}
