"""One logger setup: structured JSON lines on stderr. Narratives are never passed to a logger."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any

import structlog

_SENSITIVE_KEYS = frozenset({"narrative", "notes", "secret", "authorization", "api_key", "text"})


def _drop_sensitive(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Defense in depth: a sensitive field that slipped into a log call is removed."""
    for key in _SENSITIVE_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


_second: tuple[int, str] = (-1, "")  # the last whole second seen and its formatted prefix


def _utc_timestamp(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """``timestamp`` as RFC 3339 UTC with microseconds (``2026-01-31T12:00:00.123456Z``).

    What structlog's ``TimeStamper(fmt="iso", utc=True)`` writes, for a fraction of its cost
    (one access-log line per request): the date and time are formatted once a second.
    """
    global _second
    now = time.time()
    second = int(now)
    cached = _second  # one read: another thread may replace it meanwhile
    if cached[0] != second:
        cached = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    event_dict["timestamp"] = f"{cached[1]}.{int((now - second) * 1e6):06d}Z"
    return event_dict


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and the standard library to write JSON lines to stderr."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _utc_timestamp,
            _drop_sensitive,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(message)s")
    logging.getLogger("uvicorn.access").disabled = True
    # SQLAlchemy logs statements with their parameters (narratives) at INFO: never, even when
    # an operator turns TRIAGE_LOG_LEVEL up to DEBUG.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
