"""Agency code tables: CSV checks, versions in the DB, the CLI, and their effect on triage."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from service import db
from service.config import get_settings
from service.integrations.codes import (
    AgencyCodes,
    CodeTableError,
    active_table,
    apply_to_model,
    parse_codes,
    policy_call_type,
    read_codes_file,
    store_table,
)
from tests.conftest import auth
from tests.support.server import ROOT, TRIAGE, server_env

MENTAL_AGENCY = """code,meaning,category,apco_type
# Agency A: 10-96 is a mental subject
10-96,mental subject,mental_health,EDP
PSYCH,emotionally disturbed person,mental_health,EDP
10-32,person with a weapon,weapon,WEAPON
"""
ROUTINE_AGENCY = """code,meaning,category,apco_type
# Agency B: 10-96 is a routine status
10-96,meal break,routine,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_table_parses_with_or_without_the_apco_column():
    entries = parse_codes(MENTAL_AGENCY, "a.csv")
    assert [(e.code, e.category, e.apco_type) for e in entries] == [
        ("10-96", "mental_health", "EDP"),
        ("PSYCH", "mental_health", "EDP"),
        ("10-32", "weapon", "WEAPON"),
    ]
    short = parse_codes("code,meaning,category\n415,disturbance,routine\n")
    assert short[0].apco_type is None


def test_every_bad_line_is_named():
    text = (
        "code,meaning,category,apco_type\n10-96,mental subject,mental_health,EDP\n"
        ",no code,routine,\n10-50,,routine,\n10-51,tow,nonsense,\n10-96,again,routine,\n"
        "10-52,x,routine,BAD CODE\n10-53,too,many,columns,here\n"
    )
    with pytest.raises(CodeTableError) as exc:
        parse_codes(text, "agency.csv")
    message = str(exc.value)
    for line in ("line 3", "line 4", "line 5", "line 6", "line 7", "line 8"):
        assert f"agency.csv: {line}:" in message, line
    with pytest.raises(CodeTableError, match="header"):
        parse_codes("code,expansion,kind\n10-96,x,routine\n")
    with pytest.raises(CodeTableError, match="empty"):
        parse_codes("# only a comment\n")


def test_policy_call_type_maps_listed_codes_only():
    codes = AgencyCodes.from_entries(1, parse_codes(MENTAL_AGENCY))
    assert codes.policy_call_type("psych") == "EDP"
    assert codes.policy_call_type(" 10-96 ") == "EDP"
    assert codes.policy_call_type("415") == "415"
    assert codes.policy_call_type(None) is None
    assert policy_call_type(object(), "PSYCH") == "PSYCH"  # a model without a table


def test_versions_are_stored_and_the_same_content_is_not_stored_twice(configured, tmp_path):
    with db.session_scope(write=True) as session:
        first, created = store_table(
            session, parse_codes(MENTAL_AGENCY), source="a.csv", loaded_by="test"
        )
        assert created and first.version == 1
    with db.session_scope(write=True) as session:
        again, created = store_table(
            session, parse_codes(MENTAL_AGENCY), source="a.csv", loaded_by="test"
        )
        assert not created and again.version == 1
    with db.session_scope(write=True) as session:
        second, created = store_table(
            session, parse_codes(ROUTINE_AGENCY), source="b.csv", loaded_by="test"
        )
        assert created and second.version == 2
    with db.session_scope() as session:
        assert active_table(session).version == 2


def test_the_triage_command_loads_a_table(sqlite_url, tmp_path):
    env = server_env(sqlite_url, tmp_path)
    good = _write(tmp_path, "agency.csv", MENTAL_AGENCY)
    run = subprocess.run(
        [TRIAGE, "codes", "load", str(good), "--by", "ops"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "loaded code table version 1 (3 codes)" in run.stdout


def test_cli_reloads_refuses_lists_and_shows(configured, tmp_path):
    from typer.testing import CliRunner

    from service.cli import app

    runner = CliRunner()
    good = _write(tmp_path, "agency.csv", MENTAL_AGENCY)
    assert "version 1 (3 codes)" in runner.invoke(app, ["codes", "load", str(good)]).output
    assert "unchanged: version 1" in runner.invoke(app, ["codes", "load", str(good)]).output
    bad = _write(tmp_path, "bad.csv", "code,meaning,category\n10-96,,routine\n")
    result = runner.invoke(app, ["codes", "load", str(bad)])
    assert result.exit_code == 2 and "line 2" in result.output
    routine = _write(tmp_path, "b.csv", ROUTINE_AGENCY)
    runner.invoke(app, ["codes", "load", str(routine), "--by", "ops"])
    listed = runner.invoke(app, ["codes", "list"]).output.splitlines()
    assert listed[0].startswith("2\tactive\t") and "ops" in listed[0]
    assert listed[1].startswith("1\told\t")
    shown = runner.invoke(app, ["codes", "show", "--version", "1"]).output
    assert parse_codes(shown) == read_codes_file(good)


@pytest.fixture(scope="module")
def default_model():
    from service.classifier import load_model

    return load_model(get_settings().model_path)


def test_the_agency_meaning_of_a_code_changes_what_the_classifier_reads(default_model):
    note = "10-96 AT LOC"
    mental = apply_to_model(default_model, AgencyCodes.from_entries(1, parse_codes(MENTAL_AGENCY)))
    routine = apply_to_model(
        default_model, AgencyCodes.from_entries(2, parse_codes(ROUTINE_AGENCY))
    )
    p_mental = mental.classify(note).tags["mental_health"].probability
    p_routine = routine.classify(note).tags["mental_health"].probability
    assert p_mental > p_routine
    assert mental.classify(note).tags["mental_health"].present
    assert not routine.classify(note).tags["mental_health"].present
    # Re-applying starts from the model without a table: agency B's table fully replaces A's.
    again = apply_to_model(mental, AgencyCodes.from_entries(2, parse_codes(ROUTINE_AGENCY)))
    assert again.classify(note).tags["mental_health"].probability == pytest.approx(p_routine)
    assert apply_to_model(mental, None) is default_model


KNIFE = "MALE WALKING IN THE STREET WAVING A KNIFE AT CARS"


def test_the_policy_reads_agency_call_types_as_common_types(client, make_key, tmp_path):
    cad = make_key("cad")
    before = client.post(
        "/v1/triage",
        json={"call_id": "K-1", "narrative": KNIFE, "call_type": "PSYCH"},
        headers=auth(cad),
    ).json()
    assert before["tags"]["weapon"]["present"] is True
    assert before["response_mode"] == "armed_response", before["explanation"]
    # The agency loads its table while the service runs; the next refresh applies it.
    with db.session_scope(write=True) as session:
        store_table(session, parse_codes(MENTAL_AGENCY), source="a.csv", loaded_by="test")
    client.app.state.runtime.refresh()
    after = client.post(
        "/v1/triage",
        json={"call_id": "K-2", "narrative": KNIFE, "call_type": "PSYCH"},
        headers=auth(cad),
    ).json()
    assert after["response_mode"] == "armed_crisis_response"
    assert after["explanation"]["rule"] == "weapon_in_crisis"
    assert any("EDP" in c for c in after["explanation"]["conditions"])
    assert after["model_version"] == before["model_version"]


@pytest.fixture
def codes_file_env(monkeypatch, tmp_path):
    path = _write(tmp_path, "agency.csv", MENTAL_AGENCY)
    monkeypatch.setenv("TRIAGE_CODES_FILE", str(path))
    return path


def test_triage_codes_file_is_loaded_at_start_and_used(codes_file_env, client, make_key):
    with db.session_scope() as session:
        table = active_table(session)
        assert table is not None and table.version == 1 and table.loaded_by == "TRIAGE_CODES_FILE"
    cad = make_key("cad")
    answer = client.post(
        "/v1/triage", json={"call_id": "K-3", "narrative": "10-96 AT LOC"}, headers=auth(cad)
    ).json()
    assert answer["tags"]["mental_health"]["present"] is True
