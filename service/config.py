"""Typed settings, read once from ``TRIAGE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob an operator may turn; each maps to ``TRIAGE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'triage.db'}"
    db_pool_size: int = 20
    db_max_overflow: int = 20
    model_path: Path = PROJECT_ROOT / "models" / "triage-default.skops"
    model_dir: Path = PROJECT_ROOT / "models"
    policy_path: Path = PROJECT_ROOT / "service" / "policy" / "default_policy.yaml"
    jargon_file: Path | None = None
    reload_interval_seconds: float = Field(default=2.0, gt=0)
    # Promotion gate (docs/retraining.md): how much worse a candidate's Brier score may be.
    gate_brier_tolerance: float = Field(default=0.005, ge=0)
    # Drift: a day's share is compared with the pooled baseline_days before it.
    drift_baseline_days: int = Field(default=28, ge=1)
    drift_max_shift: float = Field(default=0.10, gt=0, le=1)
    drift_min_calls: int = Field(default=50, ge=1)
    drift_check_interval_seconds: float = Field(default=300.0, gt=0)
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    retention_days: int | None = None
    journal_dir: Path = PROJECT_ROOT / "var" / "journal"
    # Hardening (docs/security.md): outage journal, abuse limits, timeouts.
    db_connect_timeout_seconds: int = Field(default=2, ge=1)
    db_pool_timeout_seconds: float = Field(default=2.0, gt=0)
    journal_replay_interval_seconds: float = Field(default=1.0, gt=0)
    # Cap on the outage journal's segments in TRIAGE_JOURNAL_DIR: past it triage answers 503
    # rather than fill the disk the database and the logs may share.
    journal_max_mb: float = Field(default=1024.0, gt=0)
    auth_cache_seconds: float = Field(default=3600.0, ge=0)
    rate_limit_requests: int = Field(default=30_000, ge=0)  # per key and window; 0: off
    rate_limit_window_seconds: int = Field(default=60, gt=0)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    long_request_timeout_seconds: float = Field(default=300.0, gt=0)  # models, policies
    max_concurrent_triage: int = Field(default=16, ge=1)
    concurrency_wait_seconds: float = Field(default=1.0, ge=0)
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    metrics_dir: Path | None = None
    secure_cookies: bool = False
    console_session_hours: float = Field(default=12.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache after changing the environment."""
    return Settings()
