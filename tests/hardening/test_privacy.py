"""Redaction of phone numbers and e-mail addresses; narrative retention (purge)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from service import db
from service.cli import app as cli
from service.config import get_settings
from service.models import Decision, Outcome, Recommendation, utcnow
from service.privacy import redact
from service.retention import RetentionJob
from tests.hardening.rows import make_row

PHONES = [
    "555-123-4567",
    "(555) 123-4567",
    "(555)123-4567",
    "555.123.4567",
    "555 123 4567",
    "5551234567",
    "+1 555 123 4567",
    "+1-555-123-4567",
    "+15551234567",
    "1-555-123-4567",
    "1 (555) 123-4567",
    "555-123-4567 x204",
    "555-123-4567 ext. 9",
    "555\u2013123\u20134567",
    "555-1234",
]
EMAILS = [
    "jane.doe@example.com",
    "J_DOE+tips@Mail.Example.ORG",
    "a@b.co",
    "first.last@sub.domain-name.us",
]
KEEP = [
    "CASE 24-000123",
    "2026-11-26 20:30",
    "1234 MAIN ST APT 5B",
    "ZIP 90210-1234",
    "10-96 AT 1530 HRS",
    "10-4",
    "GPS 40.7128,-74.0060",
    "IP 192.168.100.1",
    "VIN 1HGCM82633A004352",
    "$1,234,567",
    "2 SUBJ, 1 WM 30S",
    "CASE 2024-123-4567",
    "@ THE CORNER",
]


@pytest.mark.parametrize("phone", PHONES)
def test_us_phone_numbers_are_redacted(phone):
    assert redact(f"RP CB {phone}, ADVD") == "RP CB [PHONE], ADVD"


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses_are_redacted(email):
    assert redact(f"TIP FROM {email}.") == "TIP FROM [EMAIL]."


@pytest.mark.parametrize("text", KEEP)
def test_other_numbers_and_text_are_kept(text):
    assert redact(text) == text


def test_several_details_in_one_note():
    note = "RP JANE (555) 867-5309 / jane@example.com, NEIGHBOR 555-0100, 2 SUBJ"
    assert redact(note) == "RP JANE [PHONE] / [EMAIL], NEIGHBOR [PHONE], 2 SUBJ"


def _store_old_and_new() -> tuple[Recommendation, Recommendation]:
    old = make_row(
        "OLD-1",
        "SUBJ AT 555-123-4567 THREATENING",
        weapon=True,
        created_at=utcnow() - timedelta(days=40),
    )
    new = make_row("NEW-1", "LOUD PARTY", created_at=utcnow() - timedelta(days=2))
    with db.session_scope(write=True) as session:
        session.add_all([old, new])
        session.flush()
        session.add(
            Decision(
                recommendation_id=old.id,
                action="accepted",
                response_mode=old.response_mode,
                backup_level=old.backup_level,
            )
        )
        session.add(
            Outcome(
                call_id=old.call_id,
                recommendation_id=old.id,
                disposition="GOA",
                force_used=False,
                injuries=False,
                arrest=False,
                resolved_without_police=False,
            )
        )
    return old, new


def test_purge_erases_old_narratives_and_keeps_the_audit_record(configured):
    old, new = _store_old_and_new()
    result = CliRunner().invoke(cli, ["purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "erased 1 narratives" in result.output
    with db.session_scope() as session:
        purged = session.get(Recommendation, old.id)
        kept = session.get(Recommendation, new.id)
        assert purged.narrative is None and purged.narrative_purged_at is not None
        assert (purged.tags, purged.response_mode, purged.backup_level, purged.weapon) == (
            old.tags,
            "armed_response",
            2,
            True,
        )
        assert (purged.model_version, purged.policy_version) == ("test-model", "test-policy")
        assert purged.explanation == old.explanation
        assert session.scalars(select(Decision)).one().recommendation_id == old.id
        assert session.scalars(select(Outcome)).one().recommendation_id == old.id
        assert kept.narrative == "LOUD PARTY" and kept.narrative_purged_at is None
    again = CliRunner().invoke(cli, ["purge", "--older-than", "30"])
    assert "erased 0 narratives" in again.output


def test_purge_needs_a_period(configured):
    result = CliRunner().invoke(cli, ["purge"])
    assert result.exit_code == 2


def test_the_retention_setting_is_applied_by_the_periodic_job(configured, monkeypatch):
    old, new = _store_old_and_new()
    monkeypatch.setenv("TRIAGE_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    assert RetentionJob(get_settings()).run_once() == 1
    with db.session_scope() as session:
        assert session.get(Recommendation, old.id).narrative is None
        assert session.get(Recommendation, new.id).narrative == "LOUD PARTY"
