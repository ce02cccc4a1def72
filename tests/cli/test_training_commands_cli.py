"""The data scientists' commands fail with one clear line, not a traceback, when the training
packages are missing or a data file is bad."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

# Runs the real `triage` root command in a process where `tqdm` cannot be imported, as after
# `make run` (which installs the service without the `train` extra).
WITHOUT_TQDM = """
import sys
sys.modules["tqdm"] = None  # any `import tqdm` now raises ModuleNotFoundError
from service.cli import app
app(sys.argv[1:], prog_name="triage")
"""


def test_a_command_needing_the_training_extras_says_how_to_install_them(tmp_path: Path):
    out = tmp_path / "notes.jsonl"
    args = ["data", "generate", "--out", str(out), "--n", "5"]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TQDM, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TRIAGE_LOG_LEVEL": "WARNING"},
    )
    assert result.returncode == 2, result.stderr
    assert "tqdm" in result.stderr and "pip install -e '.[train]'" in result.stderr
    assert "Traceback" not in result.stderr and "╭" not in result.stderr
    assert not out.exists()


def test_train_with_a_bad_data_file_names_the_row_and_column(tmp_path: Path):
    data = tmp_path / "notes.csv"
    data.write_text("narrative,mental_health,drugs,weapon\nMALE YELLING,0,maybe,0\n")
    out = tmp_path / "never.skops"
    args = ["train", "--data", str(data), "--no-corpus", "--out", str(out)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "500"})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "row 1, column 'drugs'" in result.output and "'maybe'" in result.output
    assert not out.exists()


def test_evaluate_with_a_bad_data_file_names_the_row_and_column(tmp_path: Path):
    data = tmp_path / "labels.csv"
    data.write_text("narrative,mental_health,drugs,weapon\n,0,0,0\n")
    args = ["evaluate", "--data", str(data), "--out", str(tmp_path / "report")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "500"})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "row 1, column 'narrative'" in result.output
