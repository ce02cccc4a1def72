"""Health, readiness and metrics endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from service import db
from service.keys.dependencies import AnalystKey
from service.metrics import render_metrics

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 once a model and a policy are loaded and the database answers; 503 otherwise."""
    runtime = request.app.state.runtime
    snap = runtime.snapshot
    database = db.ping()
    body = {
        "status": "ready" if (runtime.ready and database) else "not_ready",
        "model_version": getattr(snap.model, "version", None),
        "policy_version": getattr(snap.policy, "version", None),
        "database": "ok" if database else "unreachable",
    }
    return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)


@router.get("/metrics", response_class=Response)
def prometheus_metrics(principal: AnalystKey) -> Response:
    """Prometheus exposition for every worker of this server (analyst or admin key)."""
    payload, content_type = render_metrics()
    return Response(payload, media_type=content_type)
