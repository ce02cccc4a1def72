"""Training: wall time and peak memory of the streaming trainer for 10k, 100k and 1M notes.

Each size runs in its own child process (``python -m training.streaming``); its peak memory is
the child's ``ru_maxrss`` from ``os.wait4`` (the child alone, not the suite), in MiB.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench import servers
from bench.machine import load_average


def measure_child(argv: list[str], env: dict[str, str], log_path: Path, timeout: float) -> dict:
    """Run ``argv``; its wall time, exit status and peak resident memory."""
    with log_path.open("wb") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, cwd=servers.ROOT, stdout=handle, stderr=subprocess.STDOUT
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "exit_code": process.returncode,
        "ok": process.returncode == 0,
    }


def training_argv(notes: int, out: Path) -> list[str]:
    """The streaming trainer's command line for ``notes`` generated notes."""
    return [
        str(servers.BIN / "python"),
        "-m",
        "training.streaming",
        "--notes",
        str(notes),
        "--out",
        str(out),
    ]


def training_suite(sizes: tuple[int, ...], workdir: Path, log: Callable[[str], None]) -> dict:
    """One training run per size, smallest first."""
    method = (
        "`python -m training.streaming` in a child process; peak memory is the child's "
        "ru_maxrss (os.wait4)."
    )
    if not (servers.ROOT / "training" / "streaming.py").exists():
        log("  training/streaming.py is not there yet: nothing to measure")
        return {"runs": [], "method": method + " Not run: training/streaming.py is missing."}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    runs = []
    for notes in sizes:
        out = workdir / f"model-{notes}.skops"
        load = load_average()
        log_path = workdir / f"train-{notes}.log"
        run = measure_child(training_argv(notes, out), env, log_path, timeout=1800)
        run.update({"notes": notes, "load_average_before": load})
        if not run["ok"]:
            run["error"] = log_path.read_text(errors="replace").strip().splitlines()[-1:]
        runs.append(run)
        log(
            f"  train {notes:>9,} notes: {run['seconds']:.1f} s, peak {run['peak_rss_mib']:.0f} "
            f"MiB, exit {run['exit_code']}"
        )
    return {"runs": runs, "method": method}
