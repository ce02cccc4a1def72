"""Activating a policy in its own write transaction, as the API and the CLI both do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from service.db import session_scope
from service.models import PolicyVersion
from service.policy.loader import Policy, parse_policy
from service.policy.store import activate_policy, active_policy_record

_ATTEMPTS = 3


@dataclass(frozen=True)
class Activation:
    """The stored activation, the validated policy, and whether a new row was written."""

    record: PolicyVersion
    policy: Policy
    created: bool


def activate_text(text: str, *, source: str, activated_by: str) -> Activation:
    """Validate and activate ``text``, committed before returning; raises ``PolicyError``.

    Two admins activating at the same moment: the database's one-active index makes one
    transaction fail; it is retried against the new state.
    """
    policy = parse_policy(text, source)  # refuse before touching the database
    for attempt in range(_ATTEMPTS):
        try:
            with session_scope(write=True) as session:
                before = active_policy_record(session)
                record = activate_policy(
                    session, text=text, source=source, activated_by=activated_by
                )
                created = before is None or before.id != record.id
            return Activation(record, policy, created)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
