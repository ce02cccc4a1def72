"""One error shape for every failure: ``{"error": {"code", "message", "fields", "request_id"}}``."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("service.errors")


class ServiceError(Exception):
    """A failure the caller should see with a given status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}


def error_body(request: Request, code: str, message: str, fields: list[Any] | None = None) -> dict:
    """The JSON body every error shares."""
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or [],
            "request_id": getattr(request.state, "request_id", None),
        }
    }


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _error_message(request: Request, err: dict[str, Any]) -> tuple[str, str]:
    """The field and message for one error, with plain words for an unreadable body."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":  # loc is ("body", <character offset>)
        offset = loc[1] if len(loc) > 1 else "?"
        reason = (err.get("ctx") or {}).get("error", "syntax error")
        return "body", f"not valid JSON: {reason} at character {offset}"
    if loc == ("body",) and err.get("type") in _NOT_AN_OBJECT and not _is_json(request):
        return "body", "the body must be a JSON object sent with Content-Type: application/json"
    return _field_name(loc), err["msg"]


def _validation_fields(request: Request, exc: RequestValidationError) -> list[dict[str, str]]:
    fields = []
    for err in exc.errors():
        field, message = _error_message(request, err)
        fields.append({"field": field, "message": message})
    return fields


_NOT_AN_OBJECT = {"model_attributes_type", "dict_type"}  # pydantic: the body is not an object
_UNPARSABLE_BODY = "There was an error parsing the body"  # FastAPI's detail
_UNSTORABLE = "a value cannot be stored (a NUL character, or a number out of range)"

_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to the shared JSON error shape."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        body = error_body(request, exc.code, exc.message, exc.fields)
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _validation_fields(request, exc)
        names = ", ".join(sorted({f["field"] for f in fields}))
        body = error_body(request, "validation_error", f"invalid request: {names}", fields)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
            # bytes that are not UTF-8, or JSON nested deeper than the parser's recursion
            # limit: bad input, so 422.
            message = "not parsable JSON (not UTF-8 text, or nested too deep)"
            fields = [{"field": "body", "message": message}]
            body = error_body(request, "validation_error", "invalid request: body", fields)
            return JSONResponse(body, status_code=422)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = error_body(request, code, str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_type=type(exc).__name__)
        body = error_body(request, "internal_error", "internal error; the request id is logged")
        return JSONResponse(body, status_code=500)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        from service.resilience.outage import database_health, is_database_unavailable

        if isinstance(exc, DataError):  # a value the database cannot hold, e.g. a NUL
            fields = [{"field": "body", "message": _UNSTORABLE}]
            body = error_body(request, "validation_error", "invalid request: body", fields)
            return JSONResponse(body, status_code=422)
        if not is_database_unavailable(exc):
            return await _unexpected(request, exc)
        database_health.mark_down(exc)
        body = error_body(request, "database_unavailable", "the database is unreachable; retry")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
