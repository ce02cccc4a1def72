"""In-process figures: classify + decide per note, and batch scoring throughput."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from bench.notes import generated_notes, notes_of_length
from bench.stats import summarize_ms

LENGTHS = {"short": 10, "medium": 50, "long": 150}


def load_snapshot():  # type: ignore[no-untyped-def]
    """The shipped model and default policy, loaded as the server loads them."""
    from service.classifier import load_model
    from service.config import get_settings
    from service.policy import load_policy

    settings = get_settings()
    model = load_model(settings.model_path, jargon_file=settings.jargon_file)
    return model, load_policy(settings.policy_path)


def _timed(func: Callable[[str], object], notes: list[str]) -> list[float]:
    samples = []
    clock = time.perf_counter
    for note in notes:
        started = clock()
        func(note)
        samples.append(clock() - started)
    return samples


def _decide_samples(model, policy, notes: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    from service.policy import decide

    samples = []
    for note in notes:
        prediction = model.classify(note)
        started = time.perf_counter()
        decide(policy, prediction, call_type=None, narrative=note)
        samples.append(time.perf_counter() - started)
    return samples


def per_note(model, policy, calls: int, log: Callable[[str], None]) -> dict:  # type: ignore[no-untyped-def]
    """Median and p99 of classify + decide (and of each alone) for short, medium, long notes."""
    from service.policy import decide

    def classify_and_decide(note: str) -> None:
        prediction = model.classify(note)
        decide(policy, prediction, call_type=None, narrative=note)

    results = {}
    for name, words in LENGTHS.items():
        notes = notes_of_length(words, calls, seed=words)
        _timed(classify_and_decide, notes[: min(200, calls)])  # warm caches and code paths
        gc.collect()
        both = summarize_ms(_timed(classify_and_decide, notes))
        results[name] = {
            "words": words,
            "classify_decide": both,
            "classify": summarize_ms(_timed(model.classify, notes)),
            "decide": summarize_ms(_decide_samples(model, policy, notes)),
        }
        log(
            f"  {name:6} ({words:3} words): median {both['median_ms']:.3f} ms, "
            f"p99 {both['p99_ms']:.3f} ms over {both['count']} calls"
        )
    return results


def batch(model, count: int, explained: int, log: Callable[[str], None]) -> dict:  # type: ignore[no-untyped-def]
    """Notes per second of ``classify_many`` over ``count`` generated notes in one call, scores
    only (``explain=False``: the analyst's re-scoring), and over the first ``explained`` of them
    with explanations (no target; a smaller run keeps the suite short)."""
    notes = generated_notes(count, seed=99)
    model.classify_many(notes[:1000])  # warm-up
    words = sum(len(n.split()) for n in notes) / count
    out = {"notes": count, "mean_words": round(words, 1)}
    for mode, explain, subset in (("scores", False, notes), ("explained", True, notes[:explained])):
        gc.collect()
        started = time.perf_counter()
        predictions = model.classify_many(subset, explain=explain)
        seconds = time.perf_counter() - started
        assert len(predictions) == len(subset)
        del predictions
        rate = len(subset) / seconds
        out[mode] = {
            "notes": len(subset),
            "seconds": round(seconds, 3),
            "notes_per_s": round(rate, 1),
        }
        log(f"  batch ({mode}): {len(subset)} notes in {seconds:.2f} s = {rate:,.0f} notes/s")
    return out


def batch_parallel(count: int, processes: int, log: Callable[[str], None]) -> dict:
    """Notes per second of ``triage score``'s code path (``training.score``) with ``processes``
    scoring processes (model loading and pool start not timed): chunks scored through
    ``ChunkScorer`` in input order, then the whole command's path, reading a JSONL file and
    writing a CSV file (``score_file``)."""
    import tempfile
    from pathlib import Path

    from service.config import get_settings
    from training.dataio import write_rows
    from training.score import DEFAULT_CHUNK, ChunkScorer, score_file

    settings = get_settings()
    model = load_snapshot()[0]
    notes = generated_notes(count, seed=99)
    chunks = [notes[i : i + DEFAULT_CHUNK] for i in range(0, count, DEFAULT_CHUNK)]
    with ChunkScorer(model, settings.model_path, processes, settings.jargon_file) as scorer:
        for _ in scorer.map([notes[:500]] * processes * 2):  # every worker started and warm
            pass
        gc.collect()
        started = time.perf_counter()
        scored = sum(len(scores) for scores in scorer.map(chunks))
        seconds = time.perf_counter() - started
    assert scored == count
    with tempfile.TemporaryDirectory() as tmp:
        data = write_rows([{"id": str(i), "narrative": n} for i, n in enumerate(notes)],
                          Path(tmp) / "notes.jsonl")  # fmt: skip
        started = time.perf_counter()
        summary = score_file(data, Path(tmp) / "scores.csv", model, settings.model_path,
                             workers=processes, jargon_file=settings.jargon_file)  # fmt: skip
        file_seconds = time.perf_counter() - started
    assert summary.notes == count
    log(
        f"  batch ({processes} processes, triage score's ChunkScorer): {count} notes in "
        f"{seconds:.2f} s = {count / seconds:,.0f} notes/s; file to file (JSONL in, CSV out, "
        f"pool start included) {file_seconds:.2f} s = {count / file_seconds:,.0f} notes/s"
    )
    return {
        "processes": processes,
        "chunk": DEFAULT_CHUNK,
        "seconds": round(seconds, 3),
        "notes_per_s": round(count / seconds, 1),
        "file_seconds": round(file_seconds, 3),
        "file_notes_per_s": round(count / file_seconds, 1),
    }
