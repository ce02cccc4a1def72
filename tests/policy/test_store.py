"""Activation in the database: invalid never replaces valid, idempotent, audited; reloader."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service import db
from service.config import get_settings
from service.models import PolicyVersion
from service.policy import DEFAULT_POLICY_PATH, PolicyError, load_default_policy
from service.policy.reloader import follow_active_policy
from service.policy.service import activate_text
from service.policy.store import activate_policy, active_policy_record, list_policies
from service.runtime import Runtime

DEFAULT_TEXT = DEFAULT_POLICY_PATH.read_text()
EDITED_TEXT = DEFAULT_TEXT.replace('version: "1.0"', 'version: "1.1"')
BROKEN_TEXT = DEFAULT_TEXT.replace("backup_level: 3", "backup_level: 7", 1)


def row_count() -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(PolicyVersion)) or 0


def activate(text: str, who: str = "key1") -> PolicyVersion:
    with db.session_scope(write=True) as session:
        return activate_policy(session, text=text, source="test.yaml", activated_by=who)


def test_activation_is_recorded(configured: str) -> None:
    record = activate(DEFAULT_TEXT, who="adminkey")
    policy = load_default_policy()
    assert record.is_active and record.activated_by == "adminkey"
    assert record.version == policy.version and record.content_hash == policy.content_hash
    assert record.content == DEFAULT_TEXT and record.source == "test.yaml"
    assert record.activated_at is not None


def test_invalid_policy_never_replaces_the_active_one(configured: str) -> None:
    good = activate(DEFAULT_TEXT)
    with pytest.raises(PolicyError) as caught:
        activate(BROKEN_TEXT)
    assert "backup_level 7 is out of range" in str(caught.value)
    with db.session_scope() as session:
        active = active_policy_record(session)
    assert active is not None and active.id == good.id
    assert row_count() == 1


def test_same_content_is_idempotent(configured: str) -> None:
    first = activate_text(DEFAULT_TEXT, source="a.yaml", activated_by="k")
    again = activate_text(DEFAULT_TEXT, source="b.yaml", activated_by="k2")
    assert first.created and not again.created
    assert again.record.id == first.record.id
    assert row_count() == 1


def test_reactivating_older_content_adds_an_audit_row(configured: str) -> None:
    first = activate(DEFAULT_TEXT)
    second = activate(EDITED_TEXT)
    third = activate(DEFAULT_TEXT)
    assert second.version.startswith("1.1+") and second.version != first.version
    with db.session_scope() as session:
        rows = list_policies(session)
    assert [r.id for r in rows] == [third.id, second.id, first.id]
    assert [r.is_active for r in rows] == [True, False, False]
    assert rows[1].deactivated_at is not None
    assert third.version == first.version


def test_reloader_swaps_when_the_active_hash_changes(configured: str) -> None:
    runtime = Runtime(get_settings())
    runtime.swap(policy=load_default_policy())
    with db.session_scope() as session:
        follow_active_policy(runtime, session)  # nothing activated: keeps the file's policy
    assert runtime.snapshot.policy.version.startswith("1.0+")
    activate(EDITED_TEXT)
    runtime.refresh()
    assert runtime.snapshot.policy.version.startswith("1.1+")
    assert runtime.snapshot.policy.text == EDITED_TEXT


def test_reloader_keeps_serving_when_stored_text_is_refused(configured: str) -> None:
    runtime = Runtime(get_settings())
    loaded = load_default_policy()
    runtime.swap(policy=loaded)
    with db.session_scope(write=True) as session:  # e.g. written by a newer release
        session.add(
            PolicyVersion(
                version="9+deadbeef",
                content="version: 9\nnew_key: 1\n",
                content_hash="f" * 64,
                source="future",
                activated_by="cli",
                is_active=True,
            )
        )
    runtime.refresh()
    assert runtime.snapshot.policy is loaded
