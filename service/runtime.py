"""The live model and policy of this process, swapped atomically when a new version is active.

Every worker and replica polls the database every ``reload_interval_seconds``; domain modules
register *reloaders* (policy activation, model registry) that look for a newer active version,
load and smoke-test it, and swap one reference. A request reads one consistent snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from service import metrics
from service.config import Settings
from service.db import session_scope

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = structlog.get_logger("service.runtime")

Reloader = Callable[["Runtime", "Session"], None]
RELOADERS: list[Reloader] = []


def reloader(func: Reloader) -> Reloader:
    """Register a function that checks the database for a newer active model or policy."""
    RELOADERS.append(func)
    return func


@dataclass(frozen=True)
class Snapshot:
    """One consistent pair: the model and the policy that answer a request together."""

    model: Any
    policy: Any


class Runtime:
    """Holds the current snapshot and the watcher thread that refreshes it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._snapshot = Snapshot(model=None, policy=None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_refresh_error: str | None = None

    @property
    def snapshot(self) -> Snapshot:
        """The current model and policy (a single attribute read: atomic)."""
        return self._snapshot

    @property
    def ready(self) -> bool:
        """True once both a model and a policy are loaded."""
        snap = self._snapshot
        return snap.model is not None and snap.policy is not None

    def swap(self, *, model: Any = None, policy: Any = None) -> None:
        """Replace the model and/or the policy in one step."""
        old = self._snapshot
        self._snapshot = Snapshot(
            model=model if model is not None else old.model,
            policy=policy if policy is not None else old.policy,
        )
        snap = self._snapshot
        metrics.set_loaded_versions(
            getattr(snap.model, "version", None), getattr(snap.policy, "version", None)
        )
        if model is not None and model is not old.model:
            log.info("model_loaded", model_version=model.version)
        if policy is not None and policy is not old.policy:
            log.info("policy_loaded", policy_version=policy.version)

    def start(self) -> None:
        """Load what serving needs at start-up, the model once.

        The configured policy file, then the database's active versions (``refresh``: the
        registry's production model, which on an empty registry is the configured model file,
        registered and loaded once), then the configured model file only if no model came
        from the registry (database outage, production artifact refused).
        """
        self.load_policy_file()
        self.refresh()
        if self._snapshot.model is None:
            self.load_model_file()

    def load_policy_file(self) -> None:
        """Load the configured policy file."""
        from service.policy import load_policy

        self.swap(policy=load_policy(self.settings.policy_path))

    def load_model_file(self) -> None:
        """Load the configured model file (with the configured agency jargon)."""
        from service.classifier import load_model

        self.swap(model=load_model(self.settings.model_path, jargon_file=self.settings.jargon_file))

    def refresh(self) -> None:
        """Run every reloader once; a failing reloader never removes what is loaded."""
        for func in RELOADERS:
            try:
                with session_scope() as session:
                    func(self, session)
                self.last_refresh_error = None
            except Exception as exc:  # noqa: BLE001 - keep serving the loaded versions
                self.last_refresh_error = f"{func.__name__}: {type(exc).__name__}"
                log.warning("refresh_failed", reloader=func.__name__, error=type(exc).__name__)

    def start_watcher(self) -> None:
        """Poll for new versions in a daemon thread until stop_watcher()."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="runtime-watcher", daemon=True)
        self._thread.start()

    def stop_watcher(self) -> None:
        """Stop the watcher thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_interval_seconds):
            self.refresh()
