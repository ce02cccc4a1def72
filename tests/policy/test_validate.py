"""Every kind of validation problem is found, named (file, rule, fault) and reported together."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.policy import PolicyError, load_default_policy, load_policy, parse_policy

SOURCE = "agency.yaml"


def base() -> dict[str, Any]:
    """A small valid policy."""
    return {
        "version": "7",
        "agency": "Test PD",
        "modes": {"patrol": "a patrol unit", "team": "a crisis team", "armed": "several units"},
        "phrase_lists": {"violence": ["fighting", "combative"]},
        "rules": [
            {
                "name": "weapon",
                "when": {"present": ["weapon"]},
                "then": {"response_mode": "armed", "backup_level": 2},
            },
            {
                "name": "crisis_violent",
                "when": {"present": ["mental_health"], "note_mentions": ["violence"]},
                "then": {"response_mode": "patrol", "backup_level": 1},
            },
            {
                "name": "crisis",
                "when": {"present": ["mental_health"]},
                "then": {"response_mode": "team", "backup_level": 0},
            },
        ],
        "default": {"response_mode": "patrol", "backup_level": 0},
    }


def problems_of(doc: dict[str, Any]) -> list[str]:
    """The problems parse_policy reports for ``doc`` (empty when it is valid)."""
    try:
        parse_policy(yaml.safe_dump(doc, sort_keys=False), SOURCE)
    except PolicyError as exc:
        return [str(p) for p in exc.problems]
    return []


def only_problem(doc: dict[str, Any]) -> str:
    """The single error reported for ``doc`` (warnings ignored)."""
    found = [p for p in problems_of(doc) if ": warning: " not in p]
    assert len(found) == 1, found
    return found[0]


def test_base_policy_is_valid() -> None:
    policy = parse_policy(yaml.safe_dump(base()), SOURCE)
    assert policy.modes["team"] == "a crisis team"
    assert policy.warnings == ()


def test_unknown_key_in_rule_condition_names_rule_and_key() -> None:
    doc = base()
    doc["rules"][1]["when"]["presnt"] = ["drugs"]
    assert only_problem(doc) == (f"{SOURCE}: rule 'crisis_violent': unknown key 'when.presnt'")


def test_unknown_top_level_key() -> None:
    doc = base()
    doc["colour"] = "blue"
    assert only_problem(doc) == f"{SOURCE}: (top level): unknown key 'colour'"


def test_unknown_tag_is_rejected() -> None:
    doc = base()
    doc["rules"][0]["when"]["present"] = ["knife"]
    problem = only_problem(doc)
    assert "rule 'weapon'" in problem and "when.present.0" in problem


def test_mode_used_but_not_defined() -> None:
    doc = base()
    doc["rules"][2]["then"]["response_mode"] = "mobile_crisis"
    problem = only_problem(doc)
    assert "rule 'crisis'" in problem
    assert "response_mode 'mobile_crisis' is not defined in modes" in problem


def test_default_mode_not_defined() -> None:
    doc = base()
    doc["default"]["response_mode"] = "nobody"
    assert "rule 'default': default.response_mode 'nobody' is not defined" in only_problem(doc)


def test_mode_defined_but_unused_is_a_warning_not_an_error() -> None:
    doc = base()
    doc["modes"]["ems"] = "EMS leads"
    policy = parse_policy(yaml.safe_dump(doc), SOURCE)
    assert [str(w) for w in policy.warnings] == [
        f"{SOURCE}: (top level): warning: mode 'ems' is defined but no rule uses it"
    ]


def test_rule_after_unconditional_rule_is_unreachable() -> None:
    doc = base()
    doc["rules"].insert(
        1, {"name": "catch_all", "then": {"response_mode": "patrol", "backup_level": 0}}
    )
    found = problems_of(doc)
    assert (
        f"{SOURCE}: rule 'crisis_violent': unreachable: rule 'catch_all' above has no "
        "conditions and matches every call" in found
    )
    assert any("rule 'crisis': unreachable: rule 'catch_all'" in p for p in found)


def test_duplicate_condition_is_unreachable() -> None:
    doc = base()
    dup = copy.deepcopy(doc["rules"][2])
    dup["name"] = "crisis_again"
    doc["rules"].append(dup)
    assert only_problem(doc) == (
        f"{SOURCE}: rule 'crisis_again': unreachable: same conditions as earlier rule 'crisis'"
    )


def test_narrow_rule_after_broad_rule_is_unreachable() -> None:
    doc = base()
    doc["rules"].append(
        {
            "name": "weapon_and_crisis",
            "when": {"present": ["weapon", "mental_health"]},
            "then": {"response_mode": "armed", "backup_level": 3},
        }
    )
    problem = only_problem(doc)
    assert "rule 'weapon_and_crisis': unreachable: earlier rule 'weapon' is broader" in problem


def test_narrow_rule_before_broad_rule_is_fine() -> None:
    doc = base()
    doc["rules"].insert(
        0,
        {
            "name": "weapon_and_crisis",
            "when": {"present": ["weapon", "mental_health"]},
            "then": {"response_mode": "armed", "backup_level": 3},
        },
    )
    assert problems_of(doc) == []


@pytest.mark.parametrize(
    ("threshold", "fault"),
    [
        ({"ge": 1.5}, "ge = 1.5 is outside 0..1"),
        ({"le": -0.1}, "le = -0.1 is outside 0..1"),
        ({"ge": 0.8, "le": 0.2}, "ge 0.8 > le 0.2, never matches"),
        ({}, "give ge, le or both"),
    ],
)
def test_impossible_thresholds(threshold: dict[str, float], fault: str) -> None:
    doc = base()
    doc["rules"][0]["when"]["probability"] = {"weapon": threshold}
    problem = only_problem(doc)
    assert "rule 'weapon'" in problem and "when.probability.weapon" in problem
    assert fault in problem


def test_uncertainty_band_out_of_range() -> None:
    doc = base()
    doc["uncertainty"] = {"bands": {"weapon": {"ge": 0.7, "le": 0.3}}}
    assert "uncertainty.bands.weapon: ge 0.7 > le 0.3" in only_problem(doc)


def test_contradictory_present_and_absent() -> None:
    doc = base()
    doc["rules"][0]["when"]["absent"] = ["weapon"]
    assert "'weapon' is required both present and absent, never matches" in only_problem(doc)


def test_routine_with_another_tag_present_never_matches() -> None:
    doc = base()
    doc["rules"][0]["when"]["present"] = ["weapon", "routine"]
    assert "routine is present only when no other tag is" in only_problem(doc)


@pytest.mark.parametrize("level", [4, -1])
def test_backup_out_of_range(level: int) -> None:
    doc = base()
    doc["rules"][1]["then"]["backup_level"] = level
    assert only_problem(doc) == (
        f"{SOURCE}: rule 'crisis_violent': then.backup_level {level} is out of range 0–3"
    )


def test_missing_default() -> None:
    doc = base()
    del doc["default"]
    assert only_problem(doc) == (
        f"{SOURCE}: (top level): missing 'default' (the action taken when no rule matches)"
    )


def test_needs_review_without_reason() -> None:
    doc = base()
    doc["rules"][2]["then"]["needs_review"] = True
    assert "needs_review is true but review_reason is missing" in only_problem(doc)


def test_undefined_phrase_list() -> None:
    doc = base()
    doc["rules"][1]["when"]["note_mentions"] = ["violance"]
    found = problems_of(doc)
    assert any("phrase list 'violance' is not defined" in p for p in found), found


def test_duplicate_rule_names() -> None:
    doc = base()
    doc["rules"][1]["name"] = "crisis"
    assert any("rule name 'crisis' is used 2 times" in p for p in problems_of(doc))


def test_wrong_type_names_the_field() -> None:
    doc = base()
    doc["rules"][0]["then"]["backup_level"] = "high"
    problem = only_problem(doc)
    assert "rule 'weapon': then.backup_level:" in problem


def test_all_errors_are_reported_together() -> None:
    doc = base()
    doc["rules"][0]["when"]["presnt"] = ["weapon"]  # structural error in one rule ...
    doc["rules"][1]["then"]["response_mode"] = "ghost"  # ... semantic errors in others
    doc["rules"][2]["then"]["backup_level"] = 9
    doc["rules"].append({**copy.deepcopy(doc["rules"][2]), "name": "crisis_copy"})
    del doc["default"]
    with pytest.raises(PolicyError) as caught:
        parse_policy(yaml.safe_dump(doc), SOURCE)
    text = str(caught.value)
    assert text.startswith("policy invalid: 6 errors")  # crisis_copy repeats backup 9
    assert "rule 'weapon': unknown key 'when.presnt'" in text
    assert "rule 'crisis_violent': then.response_mode 'ghost' is not defined" in text
    assert "rule 'crisis': then.backup_level 9 is out of range" in text
    assert "missing 'default'" in text
    assert "rule 'crisis_copy': unreachable: same conditions as earlier rule 'crisis'" in text


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nmodes: {patrol: [unclosed\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value.problems[0]).startswith(f"{path}: (top level): not valid YAML at line")


def test_not_a_mapping() -> None:
    with pytest.raises(PolicyError, match="expected a mapping at top level, got list"):
        parse_policy("- a\n- b\n", SOURCE)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read file"):
        load_policy(tmp_path / "nope.yaml")


def test_version_includes_content_hash() -> None:
    text = yaml.safe_dump(base())
    first = parse_policy(text, SOURCE)
    edited = parse_policy(text.replace("a crisis team", "a crisis team (24/7)"), SOURCE)
    assert first.version.startswith("7+") and len(first.version) == len("7+") + 8
    assert first.version == "7+" + first.content_hash[:8]
    assert edited.version != first.version and edited.version.startswith("7+")


def test_numeric_version_is_kept_as_text() -> None:
    policy = parse_policy(yaml.safe_dump(base()).replace("version: '7'", "version: 2.5"), SOURCE)
    assert policy.version.startswith("2.5+")


def test_default_policy_is_valid_without_warnings() -> None:
    policy = load_default_policy()
    assert policy.warnings == ()
    assert set(policy.modes) == {
        "patrol",
        "crisis_team",
        "co_responder",
        "ems",
        "armed_response",
        "armed_crisis_response",
    }


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(PolicyError, match="more than 50000 values once YAML aliases"):
        parse_policy("\n".join(lines) + "\n", SOURCE)


def test_self_referential_and_deep_documents_are_refused() -> None:
    with pytest.raises(PolicyError, match="self-referential"):
        parse_policy("modes: &m {x: *m}\n", SOURCE)
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("[" * 600 + "]" * 600, SOURCE)


@pytest.mark.parametrize("rules", ["5", "text", "{a: 1}", "[1, [2], null]"])
def test_odd_rule_containers_are_problems_not_crashes(rules: str) -> None:
    text = yaml.safe_dump(base()).replace("rules:", "old_rules:") + f"rules: {rules}\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, SOURCE)
    assert any("rules" in str(p) for p in caught.value.problems)
