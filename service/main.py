"""The FastAPI application: routers, middleware, error mapping, model and policy at start-up."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# The modules imported below (web stack, SQLAlchemy, scikit-learn, scipy, the routers) live as
# long as the process. With the cyclic collector on, importing them ran three or four full
# collections, each walking everything imported so far again (0.2-0.4 s of a 2-2.5 s start).
# So no collection while they are imported; then they are frozen (``gc.freeze``): later
# collections, at start-up and while serving, skip them. Import garbage in cycles (about
# 1,500 objects) is frozen with them, once per process.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    from fastapi import FastAPI

    from service import __version__, db
    from service.apidocs import install_api_docs
    from service.config import Settings, get_settings
    from service.console.router import router as console_router
    from service.errors import install_error_handlers
    from service.feedback.console import router as corrections_console_router
    from service.feedback.router import router as feedback_router
    from service.health import router as health_router
    from service.integrations.router import router as integrations_router
    from service.logging import configure_logging
    from service.middleware import RequestContextMiddleware
    from service.monitoring.router import router as monitoring_router
    from service.policy.router import router as policy_router
    from service.recommendations.router import router as recommendations_router
    from service.registry.router import router as registry_router
    from service.resilience.background import Background
    from service.resilience.limits import DeadlineMiddleware
    from service.resilience.outage import upgrade_schema_or_degrade
    from service.runtime import Runtime
    from service.triage.router import router as triage_router
finally:
    gc.freeze()
    if _COLLECTING:
        gc.enable()

ROUTERS = [
    health_router,
    triage_router,
    recommendations_router,
    integrations_router,
    feedback_router,
    registry_router,
    monitoring_router,
    console_router,
    corrections_console_router,
    policy_router,
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Prepare the schema, load the model and policy once, watch for new versions.

    With the database unreachable the process still starts and triages into the journal.
    """
    settings: Settings = app.state.settings
    upgrade_schema_or_degrade(settings.database_url)
    runtime: Runtime = app.state.runtime
    runtime.start()  # the policy, the registry's production model (else the model file)
    runtime.start_watcher()
    background = Background(settings).start()  # journal replay, key cache, retention
    try:
        yield
    finally:
        background.stop()
        runtime.stop_watcher()
        db.dispose_engines()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; tests pass their own settings."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        title="Call triage decision support",
        version=__version__,
        description="Tags dispatch notes and recommends a response mode and backup level. "
        "Decision support: the dispatcher decides.",
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_api_docs (no CDN)
        redoc_url=None,
    )
    install_api_docs(app)
    app.state.settings = settings
    app.state.runtime = Runtime(settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(
        DeadlineMiddleware,
        timeout=settings.request_timeout_seconds,
        long_timeout=settings.long_request_timeout_seconds,
    )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app
