"""The hardening layer's background threads of one server process."""

from __future__ import annotations

from functools import partial

from service.config import Settings
from service.keys.cache import cache_file, key_cache, refresh_and_save
from service.resilience.replay import Replayer
from service.retention import RetentionJob


class Background:
    """The journal replayer (which also refreshes the key cache) and the retention job."""

    def __init__(self, settings: Settings) -> None:
        key_cache.load(cache_file(settings.journal_dir))
        self.replayer = Replayer(settings, hooks=[partial(refresh_and_save, settings.journal_dir)])
        self.retention = RetentionJob(settings)

    def start(self) -> Background:
        """Start both threads; returns self."""
        self.replayer.start()
        self.retention.start()
        return self

    def stop(self) -> None:
        """Stop both threads; an unreplayed journal stays on disk for the next start."""
        self.retention.stop()
        self.replayer.stop()
