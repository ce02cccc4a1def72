"""The live stream (server-sent events): new calls and decisions, read from the database.

Each poll opens and closes its own short session (never one for the stream's life) and checks
that the console session is still live, so a sign-out, an expiry or a revoked key ends the
stream. Works across workers and replicas because every change is read back from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import structlog
from fastapi import APIRouter, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy.exc import SQLAlchemyError

from service.console.auth import session_is_live
from service.console.dependencies import LOGIN_PATH, ApiUser
from service.console.rendering import render_row
from service.console.stream import StreamCursor, parse_cursor, poll_changes
from service.db import session_scope

router = APIRouter()
log = structlog.get_logger("service.console")
POLL_SECONDS = 1.0
RETRY_MS = 2000


def poll_once(token_hash: str, cursor: StreamCursor) -> list[ServerSentEvent] | None:
    """The events since ``cursor`` (advancing it), or None once the session has ended."""
    with session_scope() as session:
        if not session_is_live(session, token_hash):
            return None
        changes = poll_changes(session, cursor)
    event_id = cursor.since.isoformat()
    return [
        ServerSentEvent(
            event=change.kind,
            id=event_id,
            data={
                "recommendation_id": change.row.id,
                "call_id": change.row.call_id,
                "response_mode": change.row.response_mode,
                "needs_review": change.row.needs_review,
                "decision_state": change.row.decision_state,
                "decision_id": change.decision_id,
                "row_html": render_row(change.row),
            },
        )
        for change in changes
    ]


@router.get("/events", response_class=EventSourceResponse)
async def events(
    user: ApiUser,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """New calls and decisions as they are stored; ``signed_out`` when the session ends."""
    stream = StreamCursor(since=parse_cursor(last_event_id or cursor))
    yield ServerSentEvent(comment="live", retry=RETRY_MS)
    while True:
        try:
            batch = await anyio.to_thread.run_sync(poll_once, user.token_hash, stream)
        except SQLAlchemyError as exc:  # a database blip: keep the stream, try again
            log.warning("console_stream_poll_failed", error=type(exc).__name__)
            await anyio.sleep(POLL_SECONDS * 2)
            continue
        if batch is None:
            yield ServerSentEvent(event="signed_out", data={"login": LOGIN_PATH})
            return
        for event in batch:
            yield event
        await anyio.sleep(POLL_SECONDS)
