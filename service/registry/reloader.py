"""Every worker follows the production pointer: load, verify, smoke-test, then swap."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import Counter

from service.registry import store
from service.registry.promotion import bootstrap_production
from service.registry.service import ModelRefused, load_version
from service.runtime import Runtime, reloader

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = structlog.get_logger("service.registry")
RETRY_REFUSED_SECONDS = 60.0
RELOAD_REFUSED = Counter(
    "triage_model_reload_refused_total",
    "Production models a worker refused to load (bad hash, untrusted types, failed smoke test).",
)


class RefusedVersions:
    """Versions this process refused, so it retries a bad artifact only once a minute."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, str], float] = {}

    def recently(self, key: tuple[str, str]) -> bool:
        """True if ``key`` was refused less than RETRY_REFUSED_SECONDS ago."""
        when = self.at.get(key)
        return when is not None and time.monotonic() - when < RETRY_REFUSED_SECONDS

    def remember(self, key: tuple[str, str]) -> None:
        """Note that ``key`` was refused now."""
        self.at[key] = time.monotonic()


REFUSED = RefusedVersions()


@reloader
def follow_production_model(runtime: Runtime, session: Session) -> None:
    """Swap in the production model when the pointer moved; keep serving the old one on error."""
    row = store.production(session)
    current = runtime.snapshot.model
    if row is None:
        _bootstrap(runtime, current)
        return
    if current is not None and current.version == row.version:
        return
    key = (row.version, row.artifact_sha256)
    if REFUSED.recently(key):
        return
    try:
        model = load_version(row, runtime.settings)
    except ModelRefused as exc:
        REFUSED.remember(key)
        RELOAD_REFUSED.inc()
        log.error(
            "model_reload_refused",
            model_version=row.version,
            serving=getattr(current, "version", None),
            error=exc.message,
        )
        return
    runtime.swap(model=model)
    previous = getattr(current, "version", None)
    log.info("model_reloaded", model_version=row.version, previous=previous)


def _bootstrap(runtime: Runtime, current: Any) -> None:
    """Empty registry: register the shipped model as production and serve the model that
    registration loaded and smoke-tested (it is not loaded a second time)."""
    row, model = bootstrap_production(runtime.settings)
    if row is None or model is None:
        return
    if current is not None and current.version == row.version:
        return
    runtime.swap(model=model)
    log.info(
        "model_reloaded", model_version=row.version, previous=getattr(current, "version", None)
    )
