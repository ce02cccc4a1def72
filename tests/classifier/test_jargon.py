"""Agency jargon tables: parsing errors, and an override that changes the model's reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.classifier import JargonError, load_jargon, load_model
from service.classifier.jargon import parse_jargon
from service.config import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "models" / "triage-default.skops"


def test_default_table_loads() -> None:
    codes = {entry.code: entry for entry in load_jargon()}
    assert codes["edp"].kind == "mental_health"
    assert "weapon" in codes["10-32"].expansion


def test_bad_rows_are_named() -> None:
    text = "code,expansion,kind\n10-96,mental subject,mental_health\n,empty,drugs\nx,y,bogus\n"
    with pytest.raises(JargonError) as err:
        parse_jargon(text, "agency.csv")
    message = str(err.value)
    assert "agency.csv: row 3" in message and "'code' is empty" in message
    assert "row 4" in message and "bogus" in message


def test_bad_header_is_refused() -> None:
    with pytest.raises(JargonError, match="header"):
        parse_jargon("a,b\n1,2\n", "agency.csv")


def test_agency_override_changes_the_probability(tmp_path: Path) -> None:
    note = "CALLER REQ UNITS FOR A 10-77 AT THE BUS STOP"
    base = load_model(MODEL_PATH)
    table = tmp_path / "agency.csv"
    table.write_text(
        "code,expansion,kind\n10-77,emotionally disturbed person mental subject,mental_health\n",
        encoding="utf-8",
    )
    agency = load_model(MODEL_PATH, jargon_file=table)
    before = base.classify(note).tags["mental_health"].probability
    after = agency.classify(note).tags["mental_health"].probability
    assert after > before + 0.3
    assert agency.classify(note).tags["mental_health"].present


def test_environment_variable_sets_the_agency_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "agency.csv"
    table.write_text("code,expansion,kind\n10-96,lost property,routine\n", encoding="utf-8")
    monkeypatch.setenv("TRIAGE_JARGON_FILE", str(table))
    model = load_model(MODEL_PATH)
    assert not model.classify("10-96").tags["mental_health"].present
