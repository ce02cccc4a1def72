"""Prometheus metrics, correct with several workers (prometheus-client multiprocess mode)."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_SECONDS = Histogram(
    "triage_http_request_duration_seconds",
    "HTTP request latency by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RECOMMENDATIONS = Counter(
    "triage_recommendations_total", "Stored recommendations by response mode.", ["response_mode"]
)
TAGS = Counter("triage_tags_total", "Present tags in stored recommendations.", ["tag"])
NEEDS_REVIEW = Counter("triage_needs_review_total", "Recommendations flagged for review.")
MODEL_INFO = Gauge(
    "triage_model_info",
    "The model version loaded by each process.",
    ["version"],
    multiprocess_mode="liveall",
)
POLICY_INFO = Gauge(
    "triage_policy_info",
    "The policy version loaded by each process.",
    ["version"],
    multiprocess_mode="liveall",
)


def set_loaded_versions(model_version: str | None, policy_version: str | None) -> None:
    """Publish which model and policy this process serves (one label value at a time)."""
    MODEL_INFO.clear()
    POLICY_INFO.clear()
    if model_version:
        MODEL_INFO.labels(version=model_version).set(1)
    if policy_version:
        POLICY_INFO.labels(version=policy_version).set(1)


def render_metrics() -> tuple[bytes, str]:
    """The exposition text for every process of this server."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
