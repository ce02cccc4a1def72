"""Agency response policy: rules from tags, call type and note to response mode and backup.

The policy is data (a YAML file an agency edits), validated on load and versioned by content.
``decide`` is pure; storage of activated versions lives in ``store.py``.
"""

from service.policy.engine import Decision, decide
from service.policy.loader import (
    DEFAULT_POLICY_PATH,
    Policy,
    load_default_policy,
    load_policy,
    parse_policy,
)
from service.policy.problems import PolicyError, PolicyProblem

__all__ = [
    "DEFAULT_POLICY_PATH",
    "Decision",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "decide",
    "load_default_policy",
    "load_policy",
    "parse_policy",
]
