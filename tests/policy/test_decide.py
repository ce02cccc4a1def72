"""decide(): the rule that fires, the conditions that explain it, uncertainty and reviews."""

from __future__ import annotations

import pytest
import yaml

from service.policy import Decision, Policy, decide, load_default_policy, parse_policy
from tests.policy.factories import prediction


@pytest.fixture(scope="module")
def default() -> Policy:
    return load_default_policy()


def run(
    policy: Policy, present: set[str], note: str, call_type: str | None = None, **kwargs: object
) -> Decision:
    return decide(
        policy,
        prediction(present, **kwargs),
        call_type=call_type,  # type: ignore[arg-type]
        narrative=note,
    )


def test_weapon_in_crisis_explains_rule_and_conditions(default: Policy) -> None:
    d = run(
        default,
        {"weapon", "mental_health"},
        "EDP WAVING A KNIFE",
        probabilities={"weapon": 0.93, "mental_health": 0.88},
    )
    assert (d.response_mode, d.backup_level, d.rule) == (
        "armed_crisis_response",
        3,
        "weapon_in_crisis",
    )
    assert d.conditions == ["weapon present (p=0.93)", "mental_health present (p=0.88)"]
    assert not d.needs_review and d.review_reasons == []
    joined = " ".join(d.guidance).lower()
    for words in (
        "cit",
        "supervisor",
        "clinician",
        "time, distance and cover",
        "tactical pause",
        "duty to intervene",
    ):
        assert words in joined, words


def test_firearm_phrase_raises_backup_to_three(default: Policy) -> None:
    knife = run(default, {"weapon"}, "BF HAS A KNIFE")
    gun = run(default, {"weapon"}, "BF HAS A   GUN IN WAISTBAND")
    assert (knife.response_mode, knife.backup_level, knife.rule) == ("armed_response", 2, "weapon")
    assert (gun.response_mode, gun.backup_level, gun.rule) == ("armed_response", 3, "firearm")
    assert "note mentions firearm: 'gun'" in gun.conditions


def test_phrases_match_whole_words_only(default: Policy) -> None:
    # "gunnar" and "begun" contain "gun" but not as a word.
    d = run(default, {"weapon"}, "GUNNAR HAS A KNIFE, FIGHT BEGUN")
    assert d.rule == "weapon" and d.backup_level == 2


def test_call_type_is_case_insensitive(default: Policy) -> None:
    d = run(default, {"weapon"}, "MALE WITH WEAPON", call_type=" shoot ")
    assert d.rule == "firearm"
    assert "call type SHOOT is listed" in d.conditions


def test_overdose_goes_to_ems(default: Policy) -> None:
    d = run(default, {"drugs"}, "MALE UNRESPONSIVE IN CAR, POSS OD, RP GAVE NARCAN X1")
    assert (d.response_mode, d.backup_level, d.rule) == ("ems", 0, "overdose")
    violent = run(default, {"drugs"}, "POSS OD, FRIEND IS COMBATIVE WITH RP")
    assert (violent.response_mode, violent.backup_level) == ("ems", 1)


def test_crisis_with_violence_goes_to_co_responder(default: Policy) -> None:
    d = run(default, {"mental_health"}, "SON OFF HIS MEDS, COMBATIVE WITH PARENTS")
    assert (d.response_mode, d.backup_level) == ("co_responder", 1)
    assert "note mentions violence: 'combative'" in d.conditions


def test_crisis_without_violence_goes_to_crisis_team(default: Policy) -> None:
    d = run(default, {"mental_health"}, "RP STATES SON HEARING VOICES. NO WEAPONS SEEN")
    assert (d.response_mode, d.backup_level, d.rule) == ("crisis_team", 0, "behavioral_health")
    assert not d.needs_review


def test_routine_goes_to_patrol(default: Policy) -> None:
    d = run(default, set(), "LOUD MUSIC FROM APT 4B FOR 2 HRS")
    assert (d.response_mode, d.backup_level, d.rule) == ("patrol", 0, "routine")


def test_uncertain_weapon_on_routine_note_keeps_patrol_with_backup(default: Policy) -> None:
    d = run(default, set(), "LOUD ARGUMENT, UNK IF ARMED", probabilities={"weapon": 0.42})
    assert (d.response_mode, d.backup_level) == ("patrol", 2)
    assert d.needs_review
    assert "weapon possible (p=0.42)" in d.review_reasons
    assert "weapon possible, uncertain (p=0.42)" in d.conditions


def test_uncertain_weapon_flag_from_model_is_honoured(default: Policy) -> None:
    # Outside the policy band (0.30-0.70) but the model says it is unsure.
    d = run(
        default,
        {"mental_health"},
        "SUICIDAL MALE",
        probabilities={"weapon": 0.2},
        uncertain={"weapon"},
    )
    assert (d.response_mode, d.backup_level) == ("co_responder", 3)
    assert "weapon possible (p=0.20)" in d.review_reasons


def test_uncertain_present_weapon_is_reviewed(default: Policy) -> None:
    d = run(default, {"weapon"}, "HAS KNIFE", probabilities={"weapon": 0.55})
    assert d.response_mode == "armed_response" and d.backup_level >= 2
    assert "weapon uncertain (p=0.55), treated as present" in d.review_reasons


def test_uncertain_crisis_on_routine_note_is_reviewed(default: Policy) -> None:
    d = run(
        default,
        set(),
        "MALE TALKING TO HIMSELF OUTSIDE STORE",
        probabilities={"mental_health": 0.45},
        uncertain={"mental_health"},
    )
    assert d.response_mode == "patrol"
    assert d.needs_review
    assert d.review_reasons == [
        "mental_health possible (p=0.45): if present, rule 'behavioral_health' would send "
        "crisis_team with backup 0"
    ]


def test_civilian_team_with_crime_mentioned_is_reviewed(default: Policy) -> None:
    d = run(default, {"mental_health"}, "CONFUSED FEMALE, RP SAYS SHE IS SHOPLIFTING")
    assert d.response_mode == "crisis_team"
    assert d.review_reasons == [
        "a civilian team was chosen but the note mentions violence or a crime"
    ]


def test_call_type_disagreeing_with_note_is_reviewed(default: Policy) -> None:
    d = run(default, set(), "RP REQ CHECK ON NEIGHBOR", call_type="EDP")
    assert d.response_mode == "patrol"
    assert "the call type suggests a behavioral-health call but the note does not" in (
        d.review_reasons
    )


def test_weapon_call_type_escalates_routine_note(default: Policy) -> None:
    d = run(default, set(), "RP REQ CALLBACK", call_type="weapon")
    assert (d.response_mode, d.backup_level, d.rule) == ("patrol", 2, "possible_weapon_routine")
    assert d.needs_review


AGENCY = """
version: a1
agency: Small Town PD
modes: {patrol: one unit, civ: civilian team, armed: several units}
rules:
  - name: weapon
    when: {present: [weapon]}
    then: {response_mode: armed, backup_level: 2, guidance: [use cover]}
  - name: calm_crisis
    when:
      present: [mental_health]
      not: {note_contains_any: [fighting]}
      probability: {mental_health: {ge: 0.8}}
    then: {response_mode: civ, backup_level: 0}
default: {response_mode: patrol, backup_level: 0}
"""


@pytest.fixture
def agency() -> Policy:
    return parse_policy(AGENCY, "agency.yaml")


def test_not_and_probability_conditions_are_explained(agency: Policy) -> None:
    d = run(agency, {"mental_health"}, "HEARING VOICES", probabilities={"mental_health": 0.91})
    assert d.rule == "calm_crisis"
    assert d.conditions == [
        "mental_health present (p=0.91)",
        "mental_health p=0.91 ≥ 0.80",
        "not (note mentions any of [fighting])",
    ]
    low = run(agency, {"mental_health"}, "HEARING VOICES", probabilities={"mental_health": 0.6})
    assert (low.rule, low.conditions) == ("default", ["no rule matched"])


def test_engine_raises_backup_when_agency_rules_would_downgrade(agency: Policy) -> None:
    # This agency has no rule for "weapon possible": the engine still never ends below what a
    # present weapon would get, and says why.
    d = run(
        agency,
        {"mental_health"},
        "HEARING VOICES",
        probabilities={"weapon": 0.5},
        uncertain={"weapon"},
    )
    assert d.rule == "calm_crisis" and d.backup_level == 2
    assert d.needs_review
    assert "weapon possible (p=0.50)" in d.review_reasons
    assert "backup raised to 2: weapon possible (p=0.50)" in d.review_reasons
    assert d.conditions[-1] == (
        "backup raised from 0 to 2: weapon possible (p=0.50); if present, rule 'weapon' would "
        "send backup 2"
    )
    assert "use cover" in d.guidance


def test_decision_as_dict_is_json_ready(agency: Policy) -> None:
    d = run(agency, {"weapon"}, "KNIFE")
    as_dict = d.as_dict()
    assert as_dict["response_mode"] == "armed" and as_dict["rule"] == "weapon"
    assert yaml.safe_load(yaml.safe_dump(as_dict)) == as_dict
