"""Every discrete combination the default policy distinguishes, checked against the contract.

Hypothesis explores probabilities and free text; this walks the whole discrete grid: which tags
are present, which are uncertain, weapon probability inside or outside the policy band, one call
type of each group, and every subset of the trigger-phrase groups in the note.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from service.policy import Decision, decide, load_default_policy
from tests.policy.factories import TAGS, prediction

POLICY = load_default_policy()
ARMED = {"armed_response", "armed_crisis_response"}
# One phrase per group; medical signs and crime only feed review checks, so they share a slot.
PHRASES = {
    "firearm": "GUN",
    "violence": "COMBATIVE",
    "overdose": "NARCAN",
    "medical_and_crime": "BLEEDING ROBBERY",
}
CALL_TYPES = [None, "EDP", "WEAPON", "SHOOT", "OD"]


def subsets(items: tuple[str, ...]) -> Iterator[frozenset[str]]:
    for size in range(len(items) + 1):
        for combo in itertools.combinations(items, size):
            yield frozenset(combo)


def grid() -> Iterator[tuple[frozenset[str], frozenset[str], float, str | None, str]]:
    notes = [" ".join(group) for group in subsets(tuple(PHRASES.values()))]
    for present, uncertain in itertools.product(subsets(TAGS), subsets(TAGS)):
        if uncertain & present - {"weapon"}:
            continue  # "uncertain" on a present tag only matters for weapon (review)
        for weapon_p, call_type, note in itertools.product((0.1, 0.5, 0.9), CALL_TYPES, notes):
            if ("weapon" in present) != (weapon_p >= 0.5):
                continue
            yield present, uncertain, weapon_p, call_type, note


def run(
    case: tuple[frozenset[str], frozenset[str], float, str | None, str], present: frozenset[str]
) -> Decision:
    _, uncertain, weapon_p, call_type, note = case
    pred = prediction(present, probabilities={"weapon": weapon_p}, uncertain=uncertain)
    return decide(POLICY, pred, call_type=call_type, narrative=note)


def check(
    present: frozenset[str],
    uncertain: frozenset[str],
    weapon_p: float,
    d: Decision,
    as_present: dict[str, Decision],
) -> None:
    if "weapon" in present:
        assert d.response_mode in ARMED and d.backup_level >= 2
    if not present:
        assert d.response_mode == "patrol"
    if "mental_health" in present and "weapon" not in present:
        allowed = {"crisis_team", "co_responder"} | ({"ems"} if "drugs" in present else set())
        assert d.response_mode in allowed
    if "weapon" in uncertain or 0.3 <= weapon_p <= 0.7:
        assert d.backup_level >= 2 and d.needs_review
    for name, alt in as_present.items():
        assert d.backup_level >= alt.backup_level, name
    assert not any(c.startswith("backup raised") for c in d.conditions)
    assert d.needs_review == bool(d.review_reasons)


def test_default_policy_invariants_on_the_whole_grid() -> None:
    count = 0
    for case in grid():
        present, uncertain, weapon_p = case[:3]
        as_present = {t: run(case, present | {t}) for t in uncertain - present}
        check(present, uncertain, weapon_p, run(case, present), as_present)
        count += 1
    assert count > 3_000
