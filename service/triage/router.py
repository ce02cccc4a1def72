"""``POST /v1/triage``: thin route; the work is in service.triage.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from service.errors import ServiceError
from service.keys.dependencies import CadKey
from service.recommendations.service import to_response
from service.triage.schemas import TriageRequest, TriageResponse
from service.triage.service import CallContext, triage_call

router = APIRouter(prefix="/v1", tags=["triage"])

ERROR_RESPONSES: dict[int | str, dict] = {
    401: {"description": "Missing, unknown or revoked API key."},
    403: {"description": "The key's role may not call this endpoint."},
    409: {"description": "Idempotency-Key reused with a different body."},
    413: {"description": "Body over the size limit."},
    422: {"description": "Invalid input; `error.fields` names each offending field."},
    503: {"description": "No model or policy loaded yet."},
}


def snapshot_or_503(request: Request):  # type: ignore[no-untyped-def]
    """The process's current model and policy, or 503 while they are not loaded."""
    runtime = request.app.state.runtime
    if not runtime.ready:
        raise ServiceError(503, "not_ready", "model or policy not loaded yet")
    return runtime.snapshot


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retries with the same key are answered from the stored record.",
    ),
]


@router.post("/triage", response_model=TriageResponse, responses=ERROR_RESPONSES)
def triage(
    body: TriageRequest,
    request: Request,
    principal: CadKey,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Tag a dispatch note and recommend a response mode and backup level.

    The recommendation is committed to the database before this answer is sent.
    """
    context = CallContext(
        api_key_id=principal.key_id,
        request_id=request.state.request_id,
        idempotency_key=idempotency_key or None,
    )
    row = triage_call(snapshot_or_503(request), body, context)
    # Serialized here, once: returned as a model, FastAPI would validate it a second time
    # against response_model (which still documents the body in OpenAPI).
    return Response(to_response(row).model_dump_json(), media_type="application/json")
