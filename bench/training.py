"""Training: wall time and peak memory of the streaming trainer for 10k, 100k and 1M notes.

Each size is a generated labeled JSONL file (training/generate.py, made once and cached under
var/bench/data/, not timed) given to ``python -m training.streaming DATA OUT`` in a child
process; its peak memory is that child's own ``ru_maxrss``, taken by ``bench.maxrss`` (a small
wrapper: a child forked straight from this large process would report this process's size).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import servers
from bench.machine import load_average

DATA = servers.ROOT / "var" / "bench" / "data"
SEED = 20261126


def measure_child(argv: list[str], env: dict[str, str], log_path: Path, timeout: float) -> dict:
    """Run ``argv``; its wall time, exit status and peak resident memory."""
    report = log_path.with_suffix(".maxrss.json")
    report.unlink(missing_ok=True)
    wrapped = [sys.executable, "-m", "bench.maxrss", str(report), *argv]
    with log_path.open("wb") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(
            wrapped,
            env=env,
            cwd=servers.ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        seconds = time.perf_counter() - started
    measured = json.loads(report.read_text()) if report.exists() else {}
    code = measured.get("exit_code", process.returncode)
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(measured.get("maxrss_kib", 0) / 1024, 1),  # Linux reports KiB
        "exit_code": code,
        "ok": code == 0,
    }


def dataset(notes: int, log: Callable[[str], None]) -> Path:
    """A labeled JSONL file of ``notes`` generated notes, cached in var/bench/data/ (delete it to
    regenerate): the first lines of a larger cached file, else made by
    ``python -m training.cli data generate`` (not timed)."""
    path = DATA / f"train-{notes}.jsonl"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.jsonl")
    bigger = sorted((_lines(p), p) for p in DATA.glob("train-*.jsonl") if _lines(p) > notes)
    if bigger:
        with bigger[0][1].open("rb") as source, partial.open("wb") as out:
            out.writelines(itertools.islice(source, notes))
    else:
        started = time.perf_counter()
        subprocess.run(
            [
                str(servers.BIN / "python"),
                "-m",
                "training.cli",
                "data",
                "generate",
                "--out",
                str(partial),
                "--n",
                str(notes),
                "--seed",
                str(SEED),
            ],
            cwd=servers.ROOT,
            check=True,
            capture_output=True,
        )
        log(f"  generated {notes:,} labeled notes in {time.perf_counter() - started:.0f} s")
    partial.rename(path)
    return path


def _lines(path: Path) -> int:
    """The size a cached file was made for (from its name)."""
    return int(path.stem.split("-")[1].split(".")[0])


def training_suite(sizes: tuple[int, ...], workdir: Path, log: Callable[[str], None]) -> dict:
    """One streaming training run per size, smallest first."""
    method = (
        "`python -m training.streaming DATA OUT` in a child process; DATA is labeled JSONL from "
        "`python -m training.cli data generate` (the smaller sizes are the first lines of the "
        "1M-note file), made beforehand and not timed; peak memory is the command's own "
        "ru_maxrss, taken by `bench.maxrss` (a child forked from the benchmark process itself "
        "would report the benchmark's size: Linux keeps ru_maxrss across exec)."
    )
    if not (servers.ROOT / "training" / "streaming.py").exists():
        log("  training/streaming.py is not there yet: nothing to measure")
        return {"runs": [], "method": method + " Not run: training/streaming.py is missing."}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    runs = []
    for notes in sizes:
        data = dataset(notes, log)
        load = load_average()
        log_path = workdir / f"train-{notes}.log"
        argv = [
            str(servers.BIN / "python"),
            "-m",
            "training.streaming",
            str(data),
            str(workdir / f"model-{notes}.skops"),
        ]
        run = measure_child(argv, env, log_path, timeout=1800)
        run.update(
            {
                "notes": notes,
                "load_average_before": load,
                "taken_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            }
        )
        if not run["ok"]:
            run["error"] = log_path.read_text(errors="replace").strip().splitlines()[-1:]
        runs.append(run)
        log(
            f"  train {notes:>9,} notes: {run['seconds']:.1f} s, peak "
            f"{run['peak_rss_mib']:.0f} MiB, exit {run['exit_code']}"
        )
    return {"runs": runs, "method": method}
