"""ASGI middleware: request ids, body size limit, latency metrics and the access log."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException

from service import metrics

log = structlog.get_logger("service.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class BodyTooLarge(HTTPException):
    """The request body passed the configured limit.

    An HTTPException, so that FastAPI's body parser, which turns other exceptions raised while
    reading into "400 error parsing the body", lets it through as the 413 it is.
    """

    def __init__(self, limit: int = 0) -> None:
        super().__init__(413, f"request body over the {limit}-byte limit")


class RequestContextMiddleware:
    """Gives every request an id, refuses oversized bodies with 413, times and logs it.

    Logs carry the method, route template, status, duration and key id: never a body,
    so a narrative never reaches a log line.
    """

    def __init__(self, app: Any, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            if _declared_length(scope) > self.max_body_bytes:
                raise BodyTooLarge
            await self.app(scope, self._limited(receive), send_wrapper)
        except BodyTooLarge:
            if not status["sent"]:
                await _send_413(send_wrapper, request_id, self.max_body_bytes)
        finally:
            self._observe(scope, request_id, status["code"], time.perf_counter() - started)

    def _limited(self, receive: Any) -> Any:
        seen = 0

        async def wrapped() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return wrapped

    @staticmethod
    def _observe(scope: dict, request_id: str, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        metrics.REQUEST_SECONDS.labels(route=template, method=method, status=str(status)).observe(
            seconds
        )
        principal = scope.get("state", {}).get("principal")
        log.info(
            "request",
            method=method,
            route=template,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            request_id=request_id,
            key_id=getattr(principal, "key_id", None),
        )


def _request_id(scope: dict) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


def _declared_length(scope: dict) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _send_413(send: Any, request_id: str, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"request body over the {limit}-byte limit",
                "fields": [{"field": "body", "message": f"at most {limit} bytes"}],
                "request_id": request_id,
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
