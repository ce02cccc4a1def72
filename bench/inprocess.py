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


_worker_model = None


def _load_worker_model() -> None:
    global _worker_model
    _worker_model = load_snapshot()[0]


def _score_chunk(notes: list[str]) -> int:
    assert _worker_model is not None
    return len(_worker_model.classify_many(notes, explain=False))


def batch_parallel(count: int, processes: int, log: Callable[[str], None]) -> dict:
    """Notes per second of ``classify_many`` (scores) split across ``processes`` processes,
    each with its own copy of the model (model loading not timed): what both cores give."""
    import multiprocessing

    notes = generated_notes(count, seed=99)
    size = -(-count // (processes * 4))
    chunks = [notes[i : i + size] for i in range(0, count, size)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_load_worker_model) as pool:
        pool.map(_score_chunk, [notes[:500]] * processes)  # every worker loaded and warm
        started = time.perf_counter()
        scored = sum(pool.map(_score_chunk, chunks))
        seconds = time.perf_counter() - started
    assert scored == count
    log(
        f"  batch ({processes} processes): {count} notes in {seconds:.2f} s = "
        f"{count / seconds:,.0f} notes/s"
    )
    return {
        "processes": processes,
        "seconds": round(seconds, 3),
        "notes_per_s": round(count / seconds, 1),
    }
