"""Validate the hand-written note files: evaluation sets in training/devset/, training notes in
training/corpus/.

The files are labeled by hand against /work/shared/labeling-guide.md; these tests guard their
shape (so an edit cannot silently break a training or evaluation run), the invariants documented
in training/devset/README.md and training/corpus/README.md, and that no training note repeats
(or nearly repeats) an evaluation note.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DEVSET_DIR = Path(__file__).resolve().parents[2] / "training" / "devset"
CORPUS_DIR = Path(__file__).resolve().parents[2] / "training" / "corpus"
EVAL_SETS = ("dev", "dev2", "dev3", "holdout", "holdout2", "holdout3", "holdout4")

TAGS = ("mental_health", "drugs", "weapon")
REQUIRED = {"id", "narrative", "mental_health", "drugs", "weapon", "kind"}
OPTIONAL = {"note", "routine"}

# Minimum notes per kind in the dev set; the holdout needs at least half (rounded up).
DEV_MIN_PER_KIND = {
    "plain_positive": 40,
    "multi_tag": 30,
    "negation": 40,
    "unknown": 15,
    "decoy": 40,
    "demographic": 30,
    "long_update": 30,
    "jargon": 30,
    "typo": 20,
    "routine_plain": 40,
}
MIN_TOTAL = {
    "dev": 280,
    "dev2": 140,
    "dev3": 140,
    "holdout": 140,
    "holdout2": 140,
    "holdout3": 140,
    "holdout4": 140,
}
ID_PATTERN = {
    "dev": re.compile(r"^dev-\d{4}$"),
    "dev2": re.compile(r"^dev2-\d{4}$"),
    "dev3": re.compile(r"^dev3-\d{4}$"),
    "holdout": re.compile(r"^hold-\d{4}$"),
    "holdout2": re.compile(r"^hold2-\d{4}$"),
    "holdout3": re.compile(r"^hold3-\d{4}$"),
    "holdout4": re.compile(r"^hold4-\d{4}$"),
}
CORPUS_ID = re.compile(r"^hw[a-z]{1,2}-\d{4}$")
CORPUS_FILES = sorted(CORPUS_DIR.glob("*.jsonl"))
# An update line: a marker word, or a line that starts with a time ("[14:02:51]", "@2214", a unit "on scene",
# "1345 counselor met ...", "** 0148 HRS SUPP").
UPDATE_MARKER = re.compile(
    r"\b(UPDT|UPDATE|UPD|SUPP|on scene|called back)\b|^\W*@?\d{1,2}:?\d{2}(:\d{2})?\b",
    re.IGNORECASE | re.MULTILINE,
)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse every line of a JSONL file, failing with the line number on bad JSON."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number} is blank"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - message only
            pytest.fail(f"{path.name}:{number} is not valid JSON: {exc}")
        assert isinstance(record, dict), f"{path.name}:{number} is not a JSON object"
        records.append(record)
    return records


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict[str, Any]]]:
    """Every evaluation file, parsed once."""
    return {name: _read_jsonl(DEVSET_DIR / f"{name}.jsonl") for name in EVAL_SETS}


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict[str, Any]]]:
    """Every hand-written training file, parsed once."""
    return {path.stem: _read_jsonl(path) for path in CORPUS_FILES}


def _routine(record: dict[str, Any]) -> bool:
    return not any(record[tag] for tag in TAGS)


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


@pytest.mark.parametrize("name", EVAL_SETS)
def test_fields_and_labels(sets: dict[str, list[dict[str, Any]]], name: str) -> None:
    _check_records(name, sets[name], ID_PATTERN[name])


def test_corpus_fields_labels_and_kinds(corpus: dict[str, list[dict[str, Any]]]) -> None:
    assert sum(len(records) for records in corpus.values()) >= 800
    for name, records in corpus.items():
        _check_records(name, records, CORPUS_ID)
        for record in records:
            n_tags = sum(record[tag] for tag in TAGS)
            if record["kind"] == "plain_positive":
                assert n_tags == 1, f"{record['id']}: plain_positive needs exactly one tag"
            if record["kind"] == "routine_plain":
                assert n_tags == 0, f"{record['id']}: routine_plain must be routine"
            assert 3 <= len(record["narrative"].split()) <= 200, record["id"]


def _check_records(name: str, records: list[dict[str, Any]], pattern: re.Pattern[str]) -> None:
    """Required fields, 0/1 labels, known kinds, id format."""
    for record in records:
        rid = record.get("id")
        keys = set(record)
        assert REQUIRED <= keys, f"{name} {rid}: missing {sorted(REQUIRED - keys)}"
        assert keys <= REQUIRED | OPTIONAL, (
            f"{name} {rid}: unknown {sorted(keys - REQUIRED - OPTIONAL)}"
        )
        assert isinstance(rid, str) and pattern.match(rid), f"{name}: bad id {rid!r}"
        assert isinstance(record["narrative"], str) and record["narrative"].strip()
        for tag in TAGS:
            value = record[tag]
            assert type(value) is int and value in (0, 1), f"{rid}: {tag}={value!r} is not 0/1"
        assert record["kind"] in DEV_MIN_PER_KIND, f"{rid}: unknown kind {record['kind']!r}"
        if "routine" in record:
            assert record["routine"] in (0, 1, True, False), f"{rid}: bad routine value"
            assert bool(record["routine"]) == _routine(record), f"{rid}: routine inconsistent"
        if "note" in record:
            assert isinstance(record["note"], str) and 0 < len(record["note"]) <= 200


@pytest.mark.parametrize("name", EVAL_SETS)
def test_counts_per_kind(sets: dict[str, list[dict[str, Any]]], name: str) -> None:
    records = sets[name]
    assert len(records) >= MIN_TOTAL[name]
    counts = Counter(record["kind"] for record in records)
    for kind, minimum in DEV_MIN_PER_KIND.items():
        required = minimum if name == "dev" else math.ceil(minimum / 2)
        assert counts[kind] >= required, f"{name}: {counts[kind]} {kind} notes, need {required}"


@pytest.mark.parametrize("name", EVAL_SETS)
def test_tag_balance(sets: dict[str, list[dict[str, Any]]], name: str) -> None:
    records = sets[name]
    for tag in TAGS:
        positives = sum(record[tag] for record in records)
        assert 0.15 * len(records) <= positives <= 0.5 * len(records), f"{name}: {tag}={positives}"
    non_routine = sum(not _routine(record) for record in records) / len(records)
    assert 0.45 <= non_routine <= 0.65, f"{name}: non-routine share {non_routine:.2f}"


@pytest.mark.parametrize("name", EVAL_SETS)
def test_kind_matches_labels(sets: dict[str, list[dict[str, Any]]], name: str) -> None:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for record in sets[name]:
        by_kind.setdefault(record["kind"], []).append(record)
        n_tags = sum(record[tag] for tag in TAGS)
        if record["kind"] == "plain_positive":
            assert n_tags == 1, f"{record['id']}: plain_positive needs exactly one tag"
        if record["kind"] == "multi_tag":
            assert n_tags >= 2, f"{record['id']}: multi_tag needs two or more tags"
        if record["kind"] == "routine_plain":
            assert n_tags == 0, f"{record['id']}: routine_plain must be routine"
    for kind in ("negation", "demographic", "long_update", "unknown"):
        routine_flags = {_routine(record) for record in by_kind[kind]}
        assert routine_flags == {True, False}, f"{name}: {kind} needs routine and non-routine notes"
    decoys = by_kind["decoy"]
    assert sum(_routine(record) for record in decoys) > 0.75 * len(decoys)


@pytest.mark.parametrize("name", EVAL_SETS)
def test_narrative_lengths(sets: dict[str, list[dict[str, Any]]], name: str) -> None:
    for record in sets[name]:
        words = len(record["narrative"].split())
        assert 5 <= words <= 200, f"{record['id']}: {words} words"
        if record["kind"] == "long_update":
            assert words >= 40, f"{record['id']}: long_update has only {words} words"
            assert "\n" in record["narrative"], f"{record['id']}: long_update is one line"
            assert UPDATE_MARKER.search(record["narrative"]), f"{record['id']}: no update marker"


def test_ids_unique_across_files(
    sets: dict[str, list[dict[str, Any]]], corpus: dict[str, list[dict[str, Any]]]
) -> None:
    ids = [record["id"] for records in [*sets.values(), *corpus.values()] for record in records]
    duplicates = [rid for rid, count in Counter(ids).items() if count > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_no_duplicate_narratives(
    sets: dict[str, list[dict[str, Any]]], corpus: dict[str, list[dict[str, Any]]]
) -> None:
    seen: dict[str, str] = {}
    for records in [*sets.values(), *corpus.values()]:
        for record in records:
            key = _normalise(record["narrative"])
            assert key not in seen, f"{record['id']} repeats the narrative of {seen.get(key)}"
            seen[key] = record["id"]


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9']+", text.casefold()))


def test_no_training_note_nearly_repeats_an_evaluation_note(
    sets: dict[str, list[dict[str, Any]]], corpus: dict[str, list[dict[str, Any]]]
) -> None:
    """Training notes must not leak evaluation notes, even reworded slightly."""
    evaluation = [(r["id"], _words(r["narrative"])) for records in sets.values() for r in records]
    for records in corpus.values():
        for record in records:
            words = _words(record["narrative"])
            for eid, other in evaluation:
                overlap = len(words & other) / len(words | other)
                assert overlap < 0.5, f"{record['id']} nearly repeats {eid} ({overlap:.2f})"
