"""The ceiling: a bare FastAPI app that parses the same ``TriageRequest`` body, returns a constant.

Served by the same uvicorn settings as ``triage serve`` (same workers, access log off, uvloop and
httptools), it is the most this stack can answer on this machine: the triage service's
throughput is reported as a fraction of it. No middleware, no authentication, no database, no
model. The route is ``async def``, the cheapest way FastAPI answers; ``CEILING_SYNC=1`` serves
a plain ``def`` route instead (run in the thread pool like the triage route) for comparison.

Run: ``uvicorn bench.ceiling:create_app --factory --host 127.0.0.1 --port 8001``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from service.triage.schemas import TriageRequest

CONSTANT = {"recommendation_id": "rec_ceiling", "response_mode": "police", "backup_level": 0}


def create_app() -> FastAPI:
    """The bare app; the route flavour follows ``CEILING_SYNC``."""
    app = FastAPI(title="Benchmark ceiling")
    if os.environ.get("CEILING_SYNC") == "1":

        @app.post("/v1/triage")
        def triage_sync(body: TriageRequest) -> dict:
            return CONSTANT

    else:

        @app.post("/v1/triage")
        async def triage_async(body: TriageRequest) -> dict:
            return CONSTANT

    @app.get("/readyz")
    async def readyz() -> dict:
        return {"status": "ready"}

    return app
