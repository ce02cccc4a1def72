"""CAD integration endpoints: EIDO input, call versions, webhook endpoints and deliveries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body, FastAPI, Path, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from service.db import session_scope
from service.errors import ServiceError
from service.integrations import codes, webhooks
from service.integrations.delivery import DeliveryWorker
from service.integrations.eido import parse_eido
from service.integrations.schemas import (
    CallVersions,
    DeliveryList,
    DeliveryOut,
    DeliveryStatus,
    RedeliverIn,
    RotateSecretIn,
    WebhookCreated,
    WebhookIn,
    WebhookList,
    WebhookOut,
)
from service.integrations.settings import get_integration_settings
from service.keys.dependencies import AdminKey, CadKey, ReaderKey
from service.models import Recommendation, WebhookEndpoint
from service.recommendations.service import as_utc, to_response
from service.resilience.outage import is_database_unavailable
from service.triage.router import ERROR_RESPONSES, IdempotencyKey, snapshot_or_503
from service.triage.schemas import TriageResponse
from service.triage.service import CallContext, triage_call


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Apply the agency code table; run this process's webhook delivery worker while serving."""
    settings = get_integration_settings()
    codes.install_reloader()
    try:
        codes.load_configured_file(settings.codes_file)
        with session_scope() as session:
            codes.follow_code_table(app.state.runtime, session)
    except SQLAlchemyError as exc:
        # Started during a database outage: triage answers from the journal meanwhile.
        # (A configured file is stored at the next start; the reloader follows the table.)
        if not is_database_unavailable(exc):
            raise
    worker = None
    if settings.webhook_worker:
        worker = DeliveryWorker(settings, app.state.settings.database_url)
        worker.start()
    app.state.webhook_worker = worker
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


log = structlog.get_logger("service.integrations")
router = APIRouter(prefix="/v1", lifespan=lifespan)
WebhookId = Annotated[str, Path(min_length=1, max_length=40)]
EIDO_EXAMPLE = {
    "$id": "urn:emergency:uid:incidentid:24-000123:psap.example.gov",
    "lastUpdateTimeStamp": "2026-11-26T20:01:30-05:00",
    "updatedByAgencyReference": {"$ref": "psap.example.gov"},
    "eidoVersion": "1.0",
    "issuingElementIdentification": "cad.psap.example.gov",
    "agencyComponent": [],
    "incidentComponent": {
        "$id": "24-000123",
        "lastUpdateTimeStamp": "2026-11-26T20:01:30-05:00",
        "updatedByAgencyReference": {"$ref": "psap.example.gov"},
        "incidentTypeCommonRegistryText": "Police",
        "incidentTypeInternalCode": "10-96",
    },
    "notesComponent": [
        {
            "$id": "note-1",
            "lastUpdateTimeStamp": "2026-11-26T20:00:10-05:00",
            "updatedByAgencyReference": {"$ref": "psap.example.gov"},
            "notesActionComments": "<p>RP STATES SON OFF MEDS, HEARING VOICES</p>",
        }
    ],
}


@router.post(
    "/triage/eido", response_model=TriageResponse, responses=ERROR_RESPONSES, tags=["triage"]
)
def triage_eido(
    document: Annotated[
        dict[str, Any],
        Body(
            description="A NENA EIDO (NENA-STA-021.1a) incident document.",
            openapi_examples={"incident": {"summary": "EIDO incident", "value": EIDO_EXAMPLE}},
        ),
    ],
    request: Request,
    principal: CadKey,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Triage a NENA EIDO incident document; answers exactly like `POST /v1/triage`.

    The call id is `incidentComponent.incidentTrackingIdentifier`, else its `$id`; the note is
    every `notesComponent[*].notesActionComments` as plain text; the call type is
    `incidentTypeInternalCode`, else `incidentTypeCommonRegistryText`. A document without an
    incident or notes gets 422 naming what is missing.
    """
    parsed = parse_eido(document)
    context = CallContext(
        api_key_id=principal.key_id,
        request_id=request.state.request_id,
        idempotency_key=idempotency_key or None,
        source="eido",
    )
    row = triage_call(snapshot_or_503(request), parsed.request, context)
    # Serialized once, like POST /v1/triage (response_model still documents the body).
    return Response(to_response(row).model_dump_json(), media_type="application/json")


@router.get(
    "/calls/{call_id}/recommendations",
    response_model=CallVersions,
    responses=ERROR_RESPONSES,
    tags=["recommendations"],
)
def call_versions(
    call_id: Annotated[str, Path(min_length=1, max_length=64)], principal: ReaderKey
) -> CallVersions:
    """Every version of a call's recommendation, oldest first; 404 for a call never triaged."""
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(Recommendation)
                .where(Recommendation.call_id == call_id)
                .order_by(Recommendation.call_version)
            )
        )
    if not rows:
        raise ServiceError(404, "not_found", f"call {call_id!r} was never triaged")
    return CallVersions(call_id=call_id, items=[to_response(row) for row in rows])


def _webhook_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "include_narrative": endpoint.include_narrative,
        "event_types": list(endpoint.event_types),
        "created_at": as_utc(endpoint.created_at),
    }


@router.post(
    "/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
    tags=["webhooks"],
)
def create_webhook(body: WebhookIn, principal: AdminKey) -> WebhookCreated:
    """Register an endpoint; the answer holds its signing secret, shown only this once."""
    allow = get_integration_settings().webhook_allow_http_localhost
    url = webhooks.check_url(body.url, allow_http_localhost=allow)
    with session_scope(write=True) as session:
        endpoint, secret = webhooks.create_endpoint(
            session,
            url=url,
            description=body.description,
            include_narrative=body.include_narrative,
            event_types=list(body.event_types) if body.event_types else None,
            created_by=principal.key_id,
        )
        out = _webhook_out(endpoint)
    return WebhookCreated(**out, secret=secret)


@router.get("/webhooks", response_model=WebhookList, responses=ERROR_RESPONSES, tags=["webhooks"])
def list_webhooks(principal: AdminKey) -> WebhookList:
    """Registered endpoints (secrets are never shown again)."""
    with session_scope() as session:
        items = [WebhookOut(**_webhook_out(e)) for e in webhooks.list_endpoints(session)]
    return WebhookList(items=items)


@router.get(
    "/webhooks/{webhook_id}", response_model=WebhookOut, responses=ERROR_RESPONSES,
    tags=["webhooks"],
)  # fmt: skip
def get_webhook(webhook_id: WebhookId, principal: AdminKey) -> WebhookOut:
    """One registered endpoint."""
    with session_scope() as session:
        return WebhookOut(**_webhook_out(webhooks.get_endpoint(session, webhook_id)))


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERROR_RESPONSES,
    tags=["webhooks"],
)
def delete_webhook(webhook_id: WebhookId, principal: AdminKey) -> Response:
    """Stop sending to an endpoint; pending deliveries are cancelled, history is kept."""
    with session_scope(write=True) as session:
        webhooks.delete_endpoint(session, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryList,
    responses=ERROR_RESPONSES,
    tags=["webhooks"],
)
def list_deliveries(
    webhook_id: WebhookId,
    principal: AdminKey,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryList:
    """Deliveries to an endpoint, newest first: status, attempts, last HTTP status or error."""
    with session_scope() as session:
        rows = webhooks.list_deliveries(session, webhook_id, status=delivery_status, limit=limit)
        return _delivery_list(rows)


@router.post(
    "/webhooks/{webhook_id}/deliveries/redeliver",
    response_model=DeliveryList,
    responses=ERROR_RESPONSES,
    tags=["webhooks"],
)
def redeliver_deliveries(
    webhook_id: WebhookId,
    principal: AdminKey,
    body: Annotated[RedeliverIn | None, Body()] = None,
) -> DeliveryList:
    """Queue the endpoint's failed deliveries again (all, or ``delivery_ids``), e.g. after the
    receiver was down longer than the retries lasted; answers the deliveries queued."""
    ids = body.delivery_ids if body is not None else None
    with session_scope(write=True) as session:
        return _delivery_list(webhooks.redeliver(session, webhook_id, ids))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookCreated,
    responses=ERROR_RESPONSES,
    tags=["webhooks"],
)
def rotate_webhook_secret(
    webhook_id: WebhookId,
    principal: AdminKey,
    body: Annotated[RotateSecretIn | None, Body()] = None,
) -> WebhookCreated:
    """A new signing secret, shown only in this answer. Deliveries carry a signature by the new
    secret and, for ``overlap_hours`` (default 24), a second ``v1`` by the previous one, so the
    receiver can switch secrets without rejecting an event."""
    overlap = (body or RotateSecretIn()).overlap_hours
    with session_scope(write=True) as session:
        endpoint, secret = webhooks.rotate_secret(session, webhook_id, overlap)
        out = _webhook_out(endpoint)
    log.info("webhook_secret_rotated", webhook_id=webhook_id, by=principal.key_id)
    return WebhookCreated(**out, secret=secret)


def _delivery_list(rows: list[tuple[Any, Any]]) -> DeliveryList:
    """Deliveries with their events as the API shows them (read inside the session)."""
    return DeliveryList(items=[DeliveryOut(**webhooks.delivery_view(d, e)) for d, e in rows])
