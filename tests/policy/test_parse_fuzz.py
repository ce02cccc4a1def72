"""Whatever an agency (or an attacker with an admin key) posts, validation answers with problems,
never with another exception."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from service.policy import PolicyError, parse_policy
from tests.policy.test_validate import base

KEYS = [
    "version",
    "agency",
    "modes",
    "rules",
    "default",
    "when",
    "then",
    "present",
    "absent",
    "possible",
    "probability",
    "ge",
    "le",
    "any",
    "all",
    "not",
    "name",
    "response_mode",
    "backup_level",
    "note_mentions",
    "phrase_lists",
    "call_type_in",
    "weapon",
    "reviews",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from(KEYS)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


def outcome(text: str) -> str:
    try:
        parse_policy(text, "fuzz.yaml")
    except PolicyError as exc:
        assert exc.problems and all(str(p).startswith("fuzz.yaml: ") for p in exc.problems)
        return "invalid"
    return "valid"


@settings(max_examples=300, deadline=None)
@given(values)
def test_random_documents_only_ever_raise_policy_error(doc: object) -> None:
    outcome(yaml.safe_dump(doc))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["rules", "default", "modes", "phrase_lists", "uncertainty"]), values)
def test_mutating_one_section_of_a_valid_policy(section: str, value: object) -> None:
    doc = base()
    doc[section] = value
    outcome(yaml.safe_dump(doc))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    outcome(text)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2), st.sampled_from(["when", "then", "name"]), values)
def test_mutating_one_part_of_a_rule(index: int, part: str, value: object) -> None:
    doc = base()
    doc["rules"][index][part] = value
    outcome(yaml.safe_dump(doc))
