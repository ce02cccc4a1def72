"""The live stream's reads: every new call and decision once, late commits included."""

from __future__ import annotations

from datetime import timedelta

from service import db
from service.console.auth import end_session, start_session
from service.console.events import poll_once
from service.console.stream import STREAM_LOOKBACK, StreamCursor, parse_cursor, poll_changes
from service.keys.service import create_key
from service.models import utcnow
from tests.console.conftest import store_decision, store_recommendation


def _poll(cursor: StreamCursor) -> list[tuple[str, str]]:
    with db.session_scope() as session:
        return [(e.kind, e.row.id) for e in poll_changes(session, cursor)]


def test_new_calls_and_decisions_are_sent_once_in_order(configured):
    cursor = StreamCursor(since=utcnow())
    assert _poll(cursor) == []
    first = store_recommendation()
    second = store_recommendation(needs_review=True)
    assert _poll(cursor) == [("call", first), ("call", second)]
    assert _poll(cursor) == []
    store_decision(first, "accepted")
    events = _poll(cursor)
    assert events == [("decision", first)]
    assert _poll(cursor) == []


def test_decision_event_carries_the_new_row_state(configured):
    cursor = StreamCursor(since=utcnow())
    rec = store_recommendation(response_mode="crisis_team")
    _poll(cursor)
    store_decision(rec, "overridden", response_mode="patrol", backup_level=1)
    with db.session_scope() as session:
        (event,) = poll_changes(session, cursor)
    assert event.row.decision_state == "overridden"
    assert (event.row.decided_mode, event.row.decided_backup) == ("patrol", 1)


def test_a_late_commit_with_an_older_time_is_still_sent(configured):
    cursor = StreamCursor(since=utcnow())
    newer = store_recommendation()
    assert _poll(cursor) == [("call", newer)]
    # Another worker stamped its row earlier but committed it only now.
    late = store_recommendation(created_at=cursor.since - STREAM_LOOKBACK / 2)
    assert _poll(cursor) == [("call", late)]
    assert _poll(cursor) == []


def test_rows_older_than_the_cursor_window_are_not_replayed(configured):
    store_recommendation(created_at=utcnow() - timedelta(minutes=5))
    assert _poll(StreamCursor(since=utcnow())) == []


def test_cursor_parsing_falls_back_to_now_and_is_bounded():
    now = utcnow()
    assert parse_cursor(None, now=now) == now
    assert parse_cursor("garbage", now=now) == now
    assert parse_cursor((now - timedelta(days=30)).isoformat(), now=now) == now - timedelta(
        hours=24
    )
    assert parse_cursor((now + timedelta(hours=1)).isoformat(), now=now) == now
    earlier = now - timedelta(seconds=30)
    assert parse_cursor(earlier.isoformat(), now=now) == earlier


def test_poll_ends_the_stream_once_the_session_is_gone(configured):
    with db.session_scope(write=True) as session:
        _key, secret = create_key(session, role="dispatcher", name="d")
        _token, user = start_session(session, secret, lifetime=timedelta(hours=1))
    cursor = StreamCursor(since=utcnow())
    store_recommendation(call_id="S-1")
    events = poll_once(user.token_hash, cursor)
    assert events is not None and [e.event for e in events] == ["call"]
    assert events[0].data["call_id"] == "S-1"
    assert 'data-call="S-1"' in events[0].data["row_html"]
    with db.session_scope(write=True) as session:
        end_session(session, user.token_hash)
    assert poll_once(user.token_hash, cursor) is None
