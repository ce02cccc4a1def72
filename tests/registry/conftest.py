"""Small real models (trained in seconds) and settings pointing the registry at a temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from service import db
from service.config import get_settings

# Word n-grams only, few features: a real model of the real pipeline in ~3 s.
FAST = {"char": False, "word_max_features": 3000, "calibration_cv": 2}


def train_small(
    path: Path, *, seed: int, n: int = 1500, label_noise: float = 0.0, name: str = "small"
) -> Path:
    """Train a small real model on generated notes and save it with skops."""
    from service.classifier import save_model
    from service.classifier.pipeline import FeatureConfig
    from training.dataio import MODEL_TAGS, LabeledNotes
    from training.generate import GeneratorConfig, generate
    from training.train import finalize, fit, metadata, split

    rows = generate(GeneratorConfig(n=n, seed=seed, label_noise=label_noise))
    notes = LabeledNotes(
        [r["narrative"] for r in rows],
        np.array([[int(r[t]) for t in MODEL_TAGS] for r in rows]),
        [r["id"] for r in rows],
        [r["kind"] for r in rows],
    )
    train, val = split(notes, 0.2, seed)
    config = FeatureConfig(**FAST)
    result = fit(train, val, config)
    return save_model(finalize(result, metadata(result, train, config, name, {})), path)


@pytest.fixture(scope="session")
def small_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two good small models (different data, so different versions) and a noisy bad one."""
    root = tmp_path_factory.mktemp("small-models")
    return {
        "a": train_small(root / "a.skops", seed=11),
        "b": train_small(root / "b.skops", seed=12),
        "noisy": train_small(root / "noisy.skops", seed=13, label_noise=0.35, name="noisy"),
    }


@pytest.fixture
def registry_settings(
    configured: str,
    small_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[object]:
    """Settings whose shipped default is model "a" and whose model_dir is a fresh temp dir."""
    monkeypatch.setenv("TRIAGE_MODEL_PATH", str(small_models["a"]))
    monkeypatch.setenv("TRIAGE_MODEL_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield get_settings()
    db.dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def client_with_models(registry_settings: object):  # type: ignore[no-untyped-def]
    """The full app whose shipped model is small model "a" and whose registry is a temp dir."""
    from fastapi.testclient import TestClient

    from service.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client
