"""Every worker follows the active policy in the database: validate, then swap one reference.

Registered with the runtime's watcher (imported by ``service.policy.router``). Requests in
flight keep the snapshot they started with; the next request sees the new policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from service.policy.problems import PolicyError
from service.policy.store import active_policy_record, policy_from_record
from service.runtime import Runtime, reloader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = structlog.get_logger("service.policy")
_refused: set[str] = set()


@reloader
def follow_active_policy(runtime: Runtime, session: Session) -> None:
    """Swap in the active policy when its content hash differs from the loaded one."""
    record = active_policy_record(session)
    if record is None:
        return  # nothing activated yet: keep the configured policy file
    current = runtime.snapshot.policy
    if current is not None and current.content_hash == record.content_hash:
        return
    if record.content_hash in _refused:
        return
    try:
        policy = policy_from_record(record)
    except PolicyError as exc:
        # Stored by a newer release, or the format changed: keep serving what is loaded.
        _refused.add(record.content_hash)
        log.error(
            "policy_reload_refused",
            policy_version=record.version,
            problems=[str(p) for p in exc.errors],
        )
        return
    runtime.swap(policy=policy)
    log.info(
        "policy_reloaded", policy_version=policy.version, previous=getattr(current, "version", None)
    )
