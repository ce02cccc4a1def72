"""`triage policy ...` commands, and simulation over a small stored dataset."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from service import db
from service.cli import app
from service.models import Recommendation
from service.policy import DEFAULT_POLICY_PATH, load_default_policy
from service.policy.report import markdown_report
from service.policy.simulate import simulate, stored_calls
from service.policy.store import active_policy_record

runner = CliRunner()


def tags(*present: str, weapon_p: float | None = None) -> dict[str, Any]:
    out = {}
    for name in ("mental_health", "drugs", "weapon"):
        p = 0.9 if name in present else 0.05
        if name == "weapon" and weapon_p is not None:
            p = weapon_p
        out[name] = {"probability": p, "present": name in present, "uncertain": False}
    out["routine"] = {"probability": 0.5, "present": not present, "uncertain": False}
    return out


def recommendation(
    n: int,
    day: int,
    tag_map: dict[str, Any],
    mode: str,
    backup: int,
    note: str | None,
    version: int = 1,
    call_id: str | None = None,
    call_type: str | None = None,
) -> Recommendation:
    sha = hashlib.sha256((note or "").encode()).hexdigest()
    return Recommendation(
        id=f"rec_{n:04d}",
        call_id=call_id or f"C-{n}",
        call_version=version,
        narrative=note,
        narrative_sha256=sha,
        call_type=call_type,
        tags=tag_map,
        **{t: v["present"] for t, v in tag_map.items()},
        response_mode=mode,
        backup_level=backup,
        needs_review=False,
        review_reasons=[],
        guidance=[],
        explanation={},
        model_version="m1",
        policy_version="old+00000000",
        request_id=f"req{n}",
        request_sha256=sha,
        created_at=datetime(2026, 3, day, 12, 0, tzinfo=UTC),
    )


@pytest.fixture
def stored(configured: str) -> None:
    """Five calls over three days, recommended by an older policy that had no crisis team."""
    rows = [
        recommendation(1, 1, tags("mental_health"), "patrol", 1, "HEARING VOICES, CALM"),
        recommendation(2, 1, tags("mental_health"), "patrol", 1, None),  # note purged
        recommendation(3, 2, tags("weapon"), "armed_response", 2, "BF HAS A GUN"),
        recommendation(4, 3, tags(), "patrol", 0, "LOUD MUSIC"),
        # Call C-5 had two versions: only the latest (an overdose) is replayed.
        recommendation(5, 3, tags(), "patrol", 0, "MALE ASLEEP IN CAR", call_id="C-5"),
        recommendation(
            6,
            3,
            tags("drugs"),
            "patrol",
            1,
            "MALE IN CAR, POSS OD, NARCAN GIVEN",
            version=2,
            call_id="C-5",
        ),
    ]
    with db.session_scope(write=True) as session:
        session.add_all(rows)


def test_simulation_counts_shifts_against_what_was_recommended(stored: None) -> None:
    policy = load_default_policy()
    with db.session_scope() as session:
        result = simulate(policy, list(stored_calls(session)))
    assert result.calls == 5 and result.purged_notes == 1 and result.day_count == 3
    assert result.modes == {
        ("patrol", "crisis_team"): 2,
        ("armed_response", "armed_response"): 1,
        ("patrol", "patrol"): 1,
        ("patrol", "ems"): 1,
    }
    assert result.backups[(2, 3)] == 1  # the gun: firearm rule now sends 3
    assert result.per_day(1)["crisis_team"] == pytest.approx(2 / 3)
    report = markdown_report(result, result.mode_names(policy.modes))
    assert "| patrol | 1 | 2 | 0 | 1 | 0 | 0 | 4 |" in report
    assert "| crisis_team | 0.00 | 0.67 | +0.67 |" in report


def test_simulate_since_filters_by_date(stored: None) -> None:
    with db.session_scope() as session:
        calls = list(stored_calls(session, since=datetime(2026, 3, 2, tzinfo=UTC)))
    assert len(calls) == 3


def test_simulate_command_writes_table_and_png(stored: None, tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = runner.invoke(
        app,
        [
            "policy",
            "simulate",
            str(DEFAULT_POLICY_PATH),
            "--out",
            str(out),
            "--since",
            "2026-03-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "## Response mode transitions" in result.output
    assert "calls replayed: 5 over 3 days" in result.output
    assert (out / "simulation.md").read_text().startswith("# Policy simulation: candidate 1.0+")
    assert (out / "simulation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_rejects_bad_date(configured: str) -> None:
    result = runner.invoke(
        app, ["policy", "simulate", str(DEFAULT_POLICY_PATH), "--since", "last tuesday"]
    )
    assert result.exit_code == 2


def test_validate_exit_codes(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["policy", "validate", str(DEFAULT_POLICY_PATH)])
    assert ok.exit_code == 0 and "valid; version 1.0+" in ok.output
    doc = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    doc["rules"][0]["then"]["response_mode"] = "swat"
    doc["rules"][1]["when"]["presnt"] = ["weapon"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["policy", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: rule 'weapon_in_crisis': then.response_mode 'swat' is not defined" in (
        result.output
    )
    assert f"{bad}: rule 'firearm': unknown key 'when.presnt'" in result.output
    missing = runner.invoke(app, ["policy", "validate", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot read file" in missing.output


def test_activate_and_show(configured: str, tmp_path: Path) -> None:
    path = tmp_path / "agency.yaml"
    path.write_text(DEFAULT_POLICY_PATH.read_text().replace('"1.0"', '"2.0"'))
    first = runner.invoke(app, ["policy", "activate", str(path)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("activated policy 2.0+") and "by cli" in first.output
    again = runner.invoke(app, ["policy", "activate", str(path)])
    assert again.output.startswith("already active: policy 2.0+")
    with db.session_scope() as session:
        record = active_policy_record(session)
    assert record is not None and record.source == str(path.resolve())
    shown = runner.invoke(app, ["policy", "show"])
    assert shown.exit_code == 0 and f"active policy {record.version}" in shown.output
    history = runner.invoke(app, ["policy", "history"])
    assert history.output.count("\n") == 1 and history.output.startswith("* ")


def test_activate_invalid_file_changes_nothing(configured: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n")
    result = runner.invoke(app, ["policy", "activate", str(bad)])
    assert result.exit_code == 1 and "missing 'default'" in result.output
    with db.session_scope() as session:
        assert active_policy_record(session) is None
