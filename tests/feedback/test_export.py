"""`triage data export`: labels from corrections and accepted decisions, redaction, formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer
from typer.testing import CliRunner

from service import db
from service.models import Correction
from tests.console.conftest import store_decision, store_recommendation

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _correct(rec_id: str, **tags: bool) -> None:
    values = {"mental_health": False, "drugs": False, "weapon": False, **tags}
    with db.session_scope(write=True) as session:
        session.add(Correction(recommendation_id=rec_id, corrected_by=None, **values))


def _seed() -> dict[str, str]:
    ids = {}
    ids["accepted"] = store_recommendation(
        call_id="A",
        weapon=True,
        created_at=T0,
        narrative="MALE WITH GUN, CB 555-867-5309 OR jdoe@example.org",
    )
    store_decision(ids["accepted"], "accepted")
    ids["corrected"] = store_recommendation(call_id="B", narrative="LOUD MUSIC", created_at=T0)
    _correct(ids["corrected"], weapon=True)
    _correct(ids["corrected"], mental_health=True)  # the latest correction wins
    ids["overridden"] = store_recommendation(call_id="C", drugs=True, narrative="OD", created_at=T0)
    store_decision(ids["overridden"], "overridden")
    ids["overridden_corrected"] = store_recommendation(
        call_id="D", narrative="VOICES", created_at=T0
    )
    store_decision(ids["overridden_corrected"], "overridden")
    _correct(ids["overridden_corrected"], mental_health=True)
    purged = store_recommendation(
        call_id="E", narrative=None, created_at=T0, narrative_purged_at=T0
    )
    store_decision(purged, "accepted")
    store_recommendation(call_id="F", narrative="PENDING", created_at=T0)
    v1 = store_recommendation(call_id="G", call_version=1, narrative="FIGHT", created_at=T0)
    store_decision(v1, "accepted")
    ids["latest_version"] = store_recommendation(
        call_id="G",
        call_version=2,
        narrative="FIGHT\nUPDT: HAS KNIFE",
        weapon=True,
        created_at=T0 + timedelta(minutes=5),
    )
    store_decision(ids["latest_version"], "accepted")
    ids["recent"] = store_recommendation(
        call_id="H", narrative="NEW", created_at=T0 + timedelta(days=9)
    )
    store_decision(ids["recent"], "accepted")
    return ids


def _run(*args: str) -> str:
    from service.feedback.cli import export

    app = typer.Typer()
    app.command()(export)
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_is_read_by_the_trainer_with_the_right_labels(configured, tmp_path, fmt):
    from training.dataio import load_labeled

    ids = _seed()
    out = tmp_path / f"labels.{fmt}"
    output = _run("--out", str(out))
    assert "exported 5 labeled calls" in output and "redacted" in output
    notes = load_labeled(out)
    rows = {
        i: dict(zip(("mental_health", "drugs", "weapon"), map(int, labels), strict=True))
        for i, labels in zip(notes.ids, notes.labels, strict=True)
    }
    assert set(rows) == {
        ids[k]
        for k in ("accepted", "corrected", "overridden_corrected", "latest_version", "recent")
    }
    assert rows[ids["accepted"]] == {"mental_health": 0, "drugs": 0, "weapon": 1}
    assert rows[ids["corrected"]] == {"mental_health": 1, "drugs": 0, "weapon": 0}
    assert rows[ids["overridden_corrected"]]["mental_health"] == 1
    text = dict(zip(notes.ids, notes.texts, strict=True))[ids["accepted"]]
    assert text == "MALE WITH GUN, CB [PHONE] OR [EMAIL]"


def test_overridden_calls_are_flagged_only_on_request_and_redaction_can_be_off(
    configured, tmp_path
):
    import json

    ids = _seed()
    out = tmp_path / "all.jsonl"
    output = _run("--out", str(out), "--include-overridden", "--no-redact")
    assert "overridden_uncorrected: 1" in output and "kept" in output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows[ids["overridden"]]["label_source"] == "overridden_uncorrected"
    assert rows[ids["overridden_corrected"]]["label_source"] == "correction"
    assert "555-867-5309" in rows[ids["accepted"]]["narrative"]


def test_since_and_format_checks(configured, tmp_path):
    import json

    ids = _seed()
    out = tmp_path / "recent.jsonl"
    _run("--out", str(out), "--since", (T0 + timedelta(days=2)).strftime("%Y-%m-%d"))
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [ids["recent"]]

    from service.feedback.cli import export

    app = typer.Typer()
    app.command()(export)
    mismatch = CliRunner().invoke(app, ["--out", str(tmp_path / "x.csv"), "--format", "jsonl"])
    assert mismatch.exit_code != 0 and "does not match" in mismatch.output
    assert not (tmp_path / "x.csv").exists()
