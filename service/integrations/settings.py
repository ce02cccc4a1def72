"""Settings of the CAD integration (``TRIAGE_*`` environment variables, read once)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IntegrationSettings(BaseSettings):
    """Webhook delivery and agency code table knobs; each maps to ``TRIAGE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    webhook_allow_http_localhost: bool = False
    webhook_worker: bool = True
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=10, ge=1)
    webhook_backoff_seconds: float = Field(default=5.0, ge=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, ge=0)
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_batch_size: int = Field(default=20, ge=1)
    webhook_retention_days: int = Field(default=30, ge=0)  # finished deliveries; 0: keep all
    codes_file: Path | None = None


def get_integration_settings() -> IntegrationSettings:
    """Fresh settings from the environment (read at start-up and on rare admin calls)."""
    return IntegrationSettings()
