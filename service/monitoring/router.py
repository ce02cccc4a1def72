"""Analysts' view of drift and adherence."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request

import service.monitoring.console  # noqa: F401 - adds the drift section to the console
import service.monitoring.watch  # noqa: F401 - registers the periodic drift check
from service.db import session_scope
from service.errors import ServiceError
from service.keys.dependencies import AnalystKey
from service.monitoring.schemas import DriftReport
from service.monitoring.service import drift_report, today_utc
from service.triage.router import ERROR_RESPONSES

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
MAX_DAYS = 366


@router.get("/drift", response_model=DriftReport, responses=ERROR_RESPONSES)
def get_drift(
    request: Request,
    principal: AnalystKey,
    since: date | None = None,
    until: date | None = None,
) -> DriftReport:
    """Daily tag and mode shares, review and override rates, outcomes by mode, drift alerts.

    Days are UTC; ``until`` is exclusive (default: tomorrow, so today is included);
    ``since`` defaults to 14 days before ``until``.
    """
    until = until or today_utc() + timedelta(days=1)
    since = since or until - timedelta(days=14)
    if not since < until or (until - since).days > MAX_DAYS:
        raise ServiceError(
            422,
            "validation_error",
            f"since must be before until, at most {MAX_DAYS} days apart",
            fields=[{"field": "since", "message": "outside the allowed window"}],
        )
    with session_scope() as session:
        return drift_report(session, request.app.state.settings, since=since, until=until)
