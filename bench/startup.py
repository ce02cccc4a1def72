"""Start-up: from process start (``triage serve``) to the first ``/readyz`` 200."""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench import servers
from bench.machine import load_average


def startup_suite(repeats: int, workdir: Path, log: Callable[[str], None]) -> dict:
    """The first start on a fresh database (schema created), then ``repeats`` restarts."""
    url = f"sqlite:///{workdir / 'startup.db'}"
    env = servers.server_env(url, workdir)
    load = load_average()
    first = _one_start(env, workdir)
    times = [_one_start(env, workdir) for _ in range(repeats)]
    median = statistics.median(times)
    log(
        f"  start-up: fresh database {first:.2f} s; restarts median {median:.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, n={repeats})"
    )
    return {
        "fresh_database_s": round(first, 3),
        "restart_s": [round(t, 3) for t in times],
        "median_s": round(median, 3),
        "load_average_before": load,
        "import_s": _import_time(env),
    }


def _one_start(env: dict[str, str], workdir: Path) -> float:
    port = servers.free_port()
    server = servers.start(servers.triage_argv(port, 1), env, workdir, port)
    server.stop()
    assert server.ready_after is not None
    return server.ready_after


def _import_time(env: dict[str, str]) -> float:
    """Seconds to import the application module alone (no model, no database)."""
    code = (
        "import time; t = time.perf_counter(); import service.main; print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [str(servers.BIN / "python"), "-c", code],
        env=env,
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(out.stdout.strip()), 3)
