"""Property tests: the default policy keeps the contract's invariants for every input.

Every combination of tag presence, probabilities and the model's uncertain flags, any call type
(the policy's own codes, unknown ones, none) and notes built from the policy's own trigger
phrases mixed with arbitrary text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.policy import Decision, Policy, decide, load_default_policy
from tests.policy.factories import TAGS, prediction

POLICY: Policy = load_default_policy()
ARMED = {"armed_response", "armed_crisis_response"}
WEAPON_BAND = POLICY.document.uncertainty.bands["weapon"]
RULES = {r.name for r in POLICY.document.rules}


def _codes() -> list[str]:
    codes: set[str] = set()
    for rule in POLICY.document.rules:
        stack = [rule.when]
        while stack:
            cond = stack.pop()
            codes |= set(cond.call_type_in or [])
            stack += list(cond.all_of or []) + list(cond.any_of or [])
    return sorted(codes)


PHRASES = sorted({p for items in POLICY.document.phrase_lists.values() for p in items})
FRAGMENTS = PHRASES + ["NO WEAPONS SEEN", "RP STATES", "UNK IF ARMED", "DENIES SI", "B/M 30S"]
notes = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=6).map(" ".join)
call_types = st.none() | st.sampled_from(_codes()) | st.sampled_from(["415", "TRAFFIC", ""])
probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@dataclass(frozen=True)
class Case:
    present: frozenset[str]
    probabilities: dict[str, float]
    uncertain: frozenset[str]
    call_type: str | None
    note: str

    def prediction(self, present: frozenset[str] | None = None) -> Any:
        return prediction(
            self.present if present is None else present,
            probabilities=self.probabilities,
            uncertain=self.uncertain,
        )

    def decide(self, present: frozenset[str] | None = None) -> Decision:
        return decide(
            POLICY, self.prediction(present), call_type=self.call_type, narrative=self.note
        )

    def weapon_uncertain(self) -> bool:
        return "weapon" in self.uncertain or WEAPON_BAND.contains(self.probabilities["weapon"])


cases = st.builds(
    Case,
    present=st.frozensets(st.sampled_from(TAGS)),
    probabilities=st.fixed_dictionaries({t: probabilities for t in (*TAGS, "routine")}),
    uncertain=st.frozensets(st.sampled_from((*TAGS, "routine"))),
    call_type=call_types,
    note=notes,
)
# POLICY_EXAMPLES=20000 for a deeper search; the default keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("POLICY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(cases)
def test_weapon_present_gets_armed_mode_and_backup(case: Case) -> None:
    d = case.decide()
    if "weapon" in case.present:
        assert d.response_mode in ARMED
        assert d.backup_level >= 2


@SETTINGS
@given(cases)
def test_routine_gets_patrol(case: Case) -> None:
    d = case.decide()
    if not case.present:
        assert d.response_mode == "patrol"


@SETTINGS
@given(cases)
def test_crisis_without_weapon_gets_civilian_or_co_responder(case: Case) -> None:
    d = case.decide()
    if "mental_health" in case.present and "weapon" not in case.present:
        allowed = {"crisis_team", "co_responder"}
        if "drugs" in case.present:
            allowed.add("ems")
        assert d.response_mode in allowed


@SETTINGS
@given(cases)
def test_uncertain_weapon_keeps_backup_and_asks_for_review(case: Case) -> None:
    d = case.decide()
    if case.weapon_uncertain():
        assert d.backup_level >= 2
        assert d.needs_review
        p = f"(p={case.probabilities['weapon']:.2f})"
        assert (
            f"weapon possible {p}" in d.review_reasons
            or f"weapon uncertain {p}, treated as present" in d.review_reasons
        )


@SETTINGS
@given(cases)
def test_uncertain_tag_never_lowers_backup_below_present(case: Case) -> None:
    d = case.decide()
    for name in TAGS:
        doubtful = name in case.uncertain or (
            name == "weapon" and WEAPON_BAND.contains(case.probabilities[name])
        )
        if doubtful and name not in case.present:
            as_present = case.decide(case.present | {name})
            assert d.backup_level >= as_present.backup_level, name


@SETTINGS
@given(cases)
def test_decision_is_well_formed(case: Case) -> None:
    d = case.decide()
    assert d.response_mode in POLICY.modes
    assert 0 <= d.backup_level <= 3
    assert d.needs_review == bool(d.review_reasons)
    assert len(d.review_reasons) == len(set(d.review_reasons))
    assert d.rule in RULES  # the consistent tags of the contract always hit a real rule
    assert d.conditions and all(isinstance(c, str) and c for c in d.conditions)
    assert d.guidance


@SETTINGS
@given(cases)
def test_default_rules_cover_uncertainty_without_engine_raise(case: Case) -> None:
    """The shipped rules already pick the escalated backup; the engine's floor is a safety net."""
    d = case.decide()
    assert not any(c.startswith("backup raised") for c in d.conditions)


@SETTINGS
@given(cases)
def test_decide_is_deterministic(case: Case) -> None:
    assert case.decide() == case.decide()
