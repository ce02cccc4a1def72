"""Serving never imports training-only dependencies (plots, data generation, parquet)."""

from __future__ import annotations

import subprocess
import sys

TRAINING_ONLY = ("matplotlib", "tqdm", "pyarrow", "training.generate", "hypothesis")


def test_server_and_model_load_without_training_dependencies(tmp_path):
    code = f"""
import os, sys
os.environ["TRIAGE_DATABASE_URL"] = "sqlite:///{tmp_path}/x.db"
from fastapi.testclient import TestClient
from service.main import create_app
with TestClient(create_app()) as client:
    assert client.get("/readyz").status_code == 200
bad = [m for m in {TRAINING_ONLY!r} if m in sys.modules]
assert not bad, bad
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
