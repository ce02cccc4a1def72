"""The promotion gate: its rules on figures, and on real models."""

from __future__ import annotations

from service.registry.gate import compare, evaluate

BASE = {"weapon_recall": 0.98, "macro_f1": 0.93, "brier": 0.040}


def _failed(cand, tolerance=0.005):
    return [c["name"] for c in compare("dev", cand, BASE, tolerance) if not c["passed"]]


def test_rules_on_figures():
    assert _failed(dict(BASE)) == []
    assert _failed({**BASE, "weapon_recall": 0.979}) == ["dev: weapon recall"]
    assert _failed({**BASE, "weapon_recall": 1.0, "macro_f1": 0.9251}) == []
    assert _failed({**BASE, "macro_f1": 0.9249}) == ["dev: macro-F1"]
    assert _failed({**BASE, "brier": 0.0449}) == []
    assert _failed({**BASE, "brier": 0.0451}) == ["dev: Brier"]
    assert _failed({**BASE, "brier": 0.0451}, tolerance=0.01) == []


def test_a_model_passes_against_itself_and_a_noisy_one_fails(small_models):
    from service.classifier import load_model
    from service.config import Settings

    settings = Settings()

    good = load_model(small_models["a"])
    noisy = load_model(small_models["noisy"])
    verdict = evaluate(good, good, settings)
    assert verdict["passed"] is True, [c for c in verdict["checks"] if not c["passed"]]
    assert set(verdict["sets"]) == {"dev", "synthetic"}
    assert verdict["sets"]["dev"]["n"] >= 250 and verdict["sets"]["synthetic"]["n"] == 3000
    assert any(c["name"].startswith("fairness") for c in verdict["checks"])

    verdict = evaluate(noisy, good, settings)
    assert verdict["passed"] is False
    assert verdict["candidate_version"] == noisy.version
    assert verdict["baseline_version"] == good.version
    failed = {c["name"] for c in verdict["checks"] if not c["passed"]}
    assert failed & {"dev: macro-F1", "synthetic: macro-F1", "dev: Brier", "synthetic: Brier"}
