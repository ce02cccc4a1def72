"""The full example in docs/policy.md is a valid policy and behaves as documented."""

from __future__ import annotations

import re

from service.config import PROJECT_ROOT
from service.policy import decide, parse_policy
from tests.policy.factories import prediction

DOC = (PROJECT_ROOT / "docs" / "policy.md").read_text()


def test_documented_example_is_valid_and_decides() -> None:
    block = re.search(r"```yaml\n(.*?)```", DOC, re.S)
    assert block is not None
    policy = parse_policy(block.group(1), "docs/policy.md")
    assert policy.version.startswith("2.3+") and policy.warnings == ()
    calm = decide(policy, prediction({"mental_health"}), call_type=None, narrative="VOICES")
    assert (calm.response_mode, calm.backup_level, calm.rule) == ("mobile_crisis", 0, "calm_crisis")
    possible = decide(
        policy,
        prediction(set(), probabilities={"weapon": 0.5}),
        call_type=None,
        narrative="UNK IF ARMED",
    )
    assert (possible.response_mode, possible.backup_level) == ("cit_unit", 2)
    assert possible.review_reasons == [
        "a weapon is possible: confirm with the caller",
        "weapon possible (p=0.50)",
    ]
