"""Synthetic note generator: determinism, knob effects, vocabulary size."""

from __future__ import annotations

from training.generate import GeneratorConfig, generate
from training.vocab import count_phrasings, load_vocab


def test_same_seed_same_notes() -> None:
    assert generate(GeneratorConfig(n=200, seed=3)) == generate(GeneratorConfig(n=200, seed=3))


def test_other_seed_other_notes() -> None:
    a = [r["narrative"] for r in generate(GeneratorConfig(n=50, seed=3))]
    b = [r["narrative"] for r in generate(GeneratorConfig(n=50, seed=4))]
    assert a != b


def test_rows_are_labeled_per_the_guide() -> None:
    for row in generate(GeneratorConfig(n=300, seed=1)):
        assert row["narrative"].strip()
        tags = [row["mental_health"], row["drugs"], row["weapon"]]
        assert row["routine"] == int(not any(tags))


def test_routine_rate_knob() -> None:
    rows = generate(GeneratorConfig(n=600, seed=2, routine_rate=1.0))
    assert all(r["routine"] == 1 for r in rows)
    rows = generate(GeneratorConfig(n=600, seed=2, routine_rate=0.0))
    assert not any(r["routine"] for r in rows)


def test_negation_rate_knob() -> None:
    def share(rate: float) -> float:
        rows = generate(
            GeneratorConfig(
                n=800, seed=5, negation_rate=rate, partial_negation_rate=0.0, update_rate=0.0
            )
        )
        return sum(r["kind"] == "negation" for r in rows) / len(rows)

    assert share(0.0) == 0.0
    assert share(0.8) > 0.4


def test_update_rate_knob() -> None:
    rows = generate(GeneratorConfig(n=400, seed=6, update_rate=0.0, retraction_rate=0.0))
    assert not any("UPDT" in r["narrative"].upper() for r in rows)
    rows = generate(GeneratorConfig(n=400, seed=6, update_rate=1.0))
    assert sum("\n" in r["narrative"] or "UPD" in r["narrative"].upper() for r in rows) > 300


def test_label_noise_knob() -> None:
    clean = generate(GeneratorConfig(n=500, seed=8))
    noisy = generate(GeneratorConfig(n=500, seed=8, label_noise=0.2))
    flips = sum(a["weapon"] != b["weapon"] for a, b in zip(clean, noisy, strict=True))
    assert 50 < flips < 160


def test_typo_rate_knob() -> None:
    rows = generate(
        GeneratorConfig(
            n=600,
            seed=9,
            typo_rate=1.0,
            routine_rate=0.0,
            negation_rate=0,
            unknown_rate=0,
            update_rate=0,
            multi_tag_rate=0,
            demographic_rate=0,
        )
    )
    assert sum(r["kind"] == "typo" for r in rows) > 150


def test_vocabulary_is_broad() -> None:
    counts = count_phrasings(load_vocab())
    assert counts["cue_phrasings"] >= 300
    assert counts["routine_phrasings"] >= 300
