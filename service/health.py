"""Health, readiness and metrics endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from service.keys.dependencies import AnalystKey
from service.metrics import render_metrics
from service.resilience.readiness import readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 once a model and a policy are loaded and the database answers; 503 otherwise.

    During a database outage the body says ``"mode": "degraded-journaling"``.
    """
    body = readiness(request.app.state.runtime, request.app.state.settings.journal_dir)
    return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)


@router.get("/readyz/triage")
def readyz_triage(request: Request) -> JSONResponse:
    """200 while POST /v1/triage can be answered, from the database or the outage journal.

    The probe for load balancers: a database outage must not take every replica out.
    """
    body = readiness(request.app.state.runtime, request.app.state.settings.journal_dir)
    return JSONResponse(body, status_code=200 if body["triage_ready"] else 503)


@router.get("/metrics", response_class=Response)
def prometheus_metrics(principal: AnalystKey) -> Response:
    """Prometheus exposition for every worker of this server (analyst or admin key)."""
    payload, content_type = render_metrics()
    return Response(payload, media_type=content_type)
