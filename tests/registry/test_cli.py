"""`triage models`: list, register, show, promote (refused, dry run, override), rollback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from service.cli import app


def _run(*args: str, code: int = 0):
    result = CliRunner().invoke(app, ["models", *args])
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the API test covers both
def test_models_cli_round_trip(registry_settings, small_models):
    listed = _run("list")
    (line,) = listed.splitlines()
    status, default_version = line.split("\t")[:2]
    assert status.strip() == "production"

    registered = _run("register", str(small_models["noisy"]))
    noisy = registered.split()[1]
    assert "(candidate)" in registered

    dry = _run("promote", noisy, "--dry-run", code=1)
    assert "gate: FAILED" in dry and "FAIL" in dry
    refused = _run("promote", noisy, code=1)
    assert "gate: FAILED" in refused and "error: the candidate failed the promotion gate" in refused
    shown = json.loads(_run("show", noisy))
    assert shown["status"] == "candidate" and shown["gate_verdict"]["passed"] is False

    promoted = _run("promote", noisy, "--override-reason", "drill")
    assert "gate overridden" in promoted
    assert json.loads(_run("show", noisy))["override_reason"] == "drill"

    assert default_version in _run("rollback", "--reason", "drill over")
    statuses = {ln.split("\t")[1]: ln.split("\t")[0].strip() for ln in _run("list").splitlines()}
    assert statuses == {default_version: "production", noisy: "archived"}
    assert "error: no earlier production model" in _run("rollback", code=1)
    assert "error: no registered model" in _run("show", "nope", code=1)
