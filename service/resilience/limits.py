"""Request deadlines and the cap on concurrent triage work.

A deadline answers 504 in the shared error shape when no response has *started* in time
(a stream that has started is left alone). The route's worker thread cannot be killed: it
finishes in the background, so a triage that commits after its 504 is found by the caller's
retry with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
from collections.abc import Iterator
from typing import Any

from service.errors import ServiceError
from service.resilience import metrics

# Administration that legitimately takes long (a promotion gate scores a whole evaluation
# set; an analytics page aggregates months) gets ``long_timeout`` instead.
LONG_RUNNING_PREFIXES = ("/v1/models", "/v1/policies", "/v1/analytics", "/console/analytics")


class DeadlineMiddleware:
    """Answer 504 when a request has not started its response within its deadline."""

    def __init__(
        self,
        app: Any,
        *,
        timeout: float,
        long_timeout: float | None = None,
        long_prefixes: tuple[str, ...] = LONG_RUNNING_PREFIXES,
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.long_timeout = long_timeout or timeout
        self.long_prefixes = long_prefixes

    def deadline_for(self, path: str) -> float:
        """The deadline of a request to ``path``, in seconds."""
        return self.long_timeout if path.startswith(self.long_prefixes) else self.timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        timeout = self.deadline_for(scope.get("path", ""))
        try:
            # No extra task per request: the deadline cancels this one, and is lifted as soon
            # as the response starts.
            async with asyncio.timeout(timeout) as deadline:

                async def guarded_send(message: dict) -> None:
                    nonlocal started
                    if message["type"] == "http.response.start":
                        started = True
                        deadline.reschedule(None)
                    await send(message)

                await self.app(scope, receive, guarded_send)
        except TimeoutError:
            if started:
                raise
            metrics.TIMED_OUT.inc()
            await _send_504(send, scope, timeout)


async def _send_504(send: Any, scope: dict, timeout: float) -> None:
    request_id = scope.get("state", {}).get("request_id")
    body = json.dumps(
        {
            "error": {
                "code": "timeout",
                "message": f"no answer within the {timeout:g}-second request deadline",
                "fields": [],
                "request_id": request_id,
            }
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
    ]
    await send({"type": "http.response.start", "status": 504, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ConcurrencyCap:
    """At most ``limit`` triage computations at once per process; a bounded wait, then 503."""

    def __init__(self, limit: int, wait_seconds: float) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(limit)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block, or raise 503 with Retry-After."""
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            metrics.OVERLOADED.inc()
            raise ServiceError(
                503,
                "overloaded",
                f"more than {self.limit} triage requests in progress; retry shortly",
                headers={"Retry-After": str(max(1, math.ceil(self.wait_seconds)))},
            )
        try:
            yield
        finally:
            self._semaphore.release()


_caps: dict[tuple[int, float], ConcurrencyCap] = {}
_caps_lock = threading.Lock()


def triage_slot(limit: int, wait_seconds: float) -> contextlib.AbstractContextManager[None]:
    """A slot of the process-wide cap configured with ``limit`` and ``wait_seconds``."""
    with _caps_lock:
        cap = _caps.setdefault((limit, wait_seconds), ConcurrencyCap(limit, wait_seconds))
    return cap.slot()
