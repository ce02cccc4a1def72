"""Drift arithmetic and the report's aggregates on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from service import db
from service.config import get_settings
from service.models import Decision, Outcome, Recommendation
from service.monitoring.drift import DriftBounds, shifts_for_day
from service.monitoring.service import drift_report

_ids = itertools.count()
DAY = date(2026, 11, 20)


def _rec(
    day: date,
    *,
    weapon=False,
    mh=False,
    mode="patrol",
    review=False,
    state="pending",
    model="m1",
    hour=12,
):
    n = next(_ids)
    routine = not (weapon or mh)
    return Recommendation(
        id=f"rec_{n}",
        call_id=f"c{n}",
        narrative="x",
        narrative_sha256="0" * 64,
        tags={},
        mental_health=mh,
        drugs=False,
        weapon=weapon,
        routine=routine,
        response_mode=mode,
        backup_level=0,
        needs_review=review,
        decision_state=state,
        review_reasons=[],
        guidance=[],
        explanation={},
        model_version=model,
        policy_version="p1",
        request_id="r",
        request_sha256="0" * 64,
        created_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour),
    )


def _insert(rows):
    with db.session_scope(write=True) as session:
        session.add_all(rows)


def _series_with_weapon_jump():
    """Ten quiet days with 10% weapon calls, then a day with 40%."""
    series = {}
    for i in range(10, 0, -1):
        day = DAY - timedelta(days=i)
        series[day] = {
            "calls": 100,
            "weapon": 10,
            "mental_health": 5,
            "drugs": 0,
            "routine": 85,
            "needs_review": 3,
            "accepted": 50,
            "overridden": 5,
            "modes": {"patrol": 85, "armed_response": 10, "crisis_team": 5},
        }
    series[DAY] = {
        "calls": 100,
        "weapon": 40,
        "mental_health": 5,
        "drugs": 0,
        "routine": 55,
        "needs_review": 3,
        "accepted": 50,
        "overridden": 5,
        "modes": {"patrol": 55, "armed_response": 40, "crisis_team": 5},
    }
    return series


def test_a_day_beyond_the_bound_alerts_and_a_stable_metric_does_not():
    bounds = DriftBounds(baseline_days=7, max_shift=0.10, min_calls=50)
    shifts = {s.metric: s for s in shifts_for_day(DAY, _series_with_weapon_jump(), bounds)}
    assert shifts["tag:weapon"].alert is True
    assert abs(shifts["tag:weapon"].baseline - 0.10) < 1e-9
    assert abs(shifts["tag:weapon"].shift - 0.30) < 1e-9
    assert shifts["mode:armed_response"].alert is True
    assert shifts["tag:mental_health"].alert is False
    assert shifts["needs_review"].alert is False
    assert shifts["override_rate"].alert is False


def test_a_quiet_day_is_not_judged():
    series = _series_with_weapon_jump()
    series[DAY] = {
        **series[DAY],
        "calls": 10,
        "weapon": 8,
        "routine": 2,
        "modes": {"patrol": 2, "armed_response": 8},
    }
    bounds = DriftBounds(baseline_days=7, max_shift=0.10, min_calls=50)
    weapon = next(s for s in shifts_for_day(DAY, series, bounds) if s.metric == "tag:weapon")
    assert weapon.judged is False and weapon.alert is False


def test_a_mode_absent_on_the_day_counts_as_zero_not_missing():
    series = _series_with_weapon_jump()
    series[DAY] = {**series[DAY], "modes": {"patrol": 55, "armed_response": 45}}
    bounds = DriftBounds(baseline_days=7, max_shift=0.01, min_calls=50)
    crisis = next(s for s in shifts_for_day(DAY, series, bounds) if s.metric == "mode:crisis_team")
    assert crisis.share == 0.0 and crisis.alert is True


def test_report_counts_days_modes_overrides_and_outcomes(configured):
    rows = []
    for i in range(1, 4):  # three baseline days: 1 weapon call in 10
        day = DAY - timedelta(days=i)
        rows += [_rec(day, weapon=True, mode="armed_response", state="accepted")]
        rows += [_rec(day, state="accepted") for _ in range(9)]
    rows += [
        _rec(DAY, weapon=True, mode="armed_response", state="overridden", model="m2")
        for _ in range(6)
    ]
    rows += [_rec(DAY, mh=True, mode="crisis_team", review=True, model="m2") for _ in range(4)]
    # 23:30 UTC still belongs to DAY, whatever the server's time zone
    rows += [_rec(DAY, weapon=True, mode="armed_response", state="accepted", model="m2", hour=23)]
    _insert(rows)
    overridden = rows[30]
    with db.session_scope(write=True) as session:
        session.add(
            Decision(
                recommendation_id=overridden.id,
                action="overridden",
                response_mode="co_responder",
                backup_level=1,
                reason="r",
            )
        )
        session.add(
            Outcome(
                call_id=overridden.call_id,
                recommendation_id=overridden.id,
                disposition="d",
                force_used=False,
                injuries=True,
                arrest=False,
                transported_to="hospital",
                resolved_without_police=False,
            )
        )
        accepted = rows[0]
        for force in (True, False):  # a corrected re-report: only the latest counts
            session.add(
                Outcome(
                    call_id=accepted.call_id,
                    recommendation_id=accepted.id,
                    disposition="d",
                    force_used=force,
                    injuries=False,
                    arrest=False,
                    transported_to=None,
                    resolved_without_police=False,
                )
            )
    settings = get_settings().model_copy(
        update={"drift_baseline_days": 3, "drift_min_calls": 10, "drift_max_shift": 0.2}
    )
    with db.session_scope() as session:
        report = drift_report(session, settings, since=DAY, until=DAY + timedelta(days=1))
    (day,) = report.days
    assert day.day == DAY and day.calls == 11
    assert day.tag_shares["weapon"] == round(7 / 11, 4)
    assert day.mode_shares == {"armed_response": round(7 / 11, 4), "crisis_team": round(4 / 11, 4)}
    assert day.needs_review_rate == round(4 / 11, 4)
    assert day.decided == 7 and day.override_rate == round(6 / 7, 4)
    by_model = {m.model_version: m for m in report.adherence_by_model_version}
    assert set(by_model) == {"m2"}  # the window holds only DAY
    assert by_model["m2"].overridden == 6 and by_model["m2"].accepted == 1
    metrics = {a.metric for a in report.alerts}
    assert {"tag:weapon", "mode:armed_response"} <= metrics
    assert "tag:drugs" not in metrics
    assert "override_rate" not in metrics  # 7 decided calls: fewer than min_calls

    with db.session_scope() as session:
        wide = drift_report(
            session, settings, since=DAY - timedelta(days=3), until=DAY + timedelta(days=1)
        )
    outcomes = {(o.response_mode, o.decision): o for o in wide.outcomes_by_response_mode}
    co = outcomes[("co_responder", "overridden")]
    assert co.outcomes == 1 and co.rates["injuries"] == 1.0
    assert co.rates["transported_to_hospital"] == 1.0
    armed = outcomes[("armed_response", "accepted")]
    assert armed.outcomes == 1 and armed.rates["force_used"] == 0.0


def test_periodic_check_sets_the_gauge_and_warns_once(configured, monkeypatch):
    import structlog
    from prometheus_client import REGISTRY
    from structlog.testing import capture_logs

    from service.monitoring import watch
    from service.runtime import Runtime

    today = datetime.now(UTC).date()
    rows = [
        _rec(today - timedelta(days=i), weapon=(j == 0), hour=0)
        for i in range(1, 6)
        for j in range(10)
    ]
    rows += [_rec(today, weapon=(j < 7), hour=0) for j in range(10)]
    _insert(rows)
    settings = get_settings().model_copy(
        update={"drift_min_calls": 10, "drift_check_interval_seconds": 3600}
    )
    runtime = Runtime(settings)
    watch.STATE.reset()
    with capture_logs() as logs, db.session_scope() as session:
        # a fresh logger: an earlier test's configure_logging may have cached the module's one
        monkeypatch.setattr(watch, "log", structlog.get_logger("service.monitoring"))
        watch.check_drift(runtime, session)
        watch.check_drift(runtime, session)  # within the interval: no second computation
        watch.publish(watch.recent_shifts(session, runtime))  # same alert: logged once
    alerts = [e for e in logs if e["event"] == "drift_alert" and e["metric"] == "tag:weapon"]
    assert len(alerts) == 1 and alerts[0]["day"] == today.isoformat()
    assert alerts[0]["log_level"] == "warning"
    assert REGISTRY.get_sample_value("triage_drift_alert", {"metric": "tag:weapon"}) == 1
    shift = REGISTRY.get_sample_value("triage_drift_shift", {"metric": "tag:weapon"})
    assert abs(shift - 0.6) < 1e-6
    assert REGISTRY.get_sample_value("triage_drift_alert", {"metric": "tag:drugs"}) == 0
