"""Profile the triage request on the live server with py-spy and sum the samples by area.

py-spy samples the real ``triage serve`` process (the route runs in the thread pool, where an
in-process profiler such as pyinstrument, which follows one thread, sees nothing) while wrk
keeps it saturated. Only the thread holding the GIL is sampled (``--gil``): one worker process
runs one Python thread at a time, so the shares are shares of the Python time per request
(waits on the disk or the database, with the GIL released, are not in them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import servers
from bench.http import database
from bench.notes import body_templates
from bench.wrk import run_wrk

# (area, pattern on "function (file:line)" frames): the first matching area of a stack's
# frames, looked at from the innermost outwards, gets the sample's "self" time; every area that
# appears anywhere in the stack gets its "inclusive" time.
AREAS: tuple[tuple[str, str], ...] = (
    ("auth lookup (service/keys)", r"service/keys/"),
    ("classify (service/classifier)", r"service/classifier/"),
    ("decide (service/policy)", r"service/policy/"),
    ("store (service/triage store + commit)", r"\((store_recommendation|session_scope) "),
    ("build recommendation", r"\(build_recommendation "),
    ("response model (to_response + serialize)", r"\((to_response|serialize_response) "),
    (
        "request body parsing",
        r"\((request_body_to_args|_extract_form_body|get_body) |"
        r"\(body |\(_get_body ",
    ),
    ("SQLAlchemy ORM/Core", r"sqlalchemy/"),
    ("database driver (sqlite3/psycopg)", r"(sqlite3/|psycopg/)"),
    ("scikit-learn / scipy / numpy", r"(sklearn/|scipy/|numpy/)"),
    ("pydantic", r"pydantic"),
    ("json", r"json/"),
    ("logging (structlog)", r"(structlog/|logging/)"),
    ("metrics (prometheus_client)", r"prometheus_client/"),
    ("middleware (service/middleware)", r"service/middleware"),
    ("thread pool hop (anyio/starlette.concurrency)", r"(anyio/|starlette/concurrency)"),
    ("HTTP server (uvicorn/httptools/uvloop)", r"(uvicorn/|httptools|uvloop)"),
    ("FastAPI/Starlette routing", r"(fastapi/|starlette/)"),
)
_COMPILED = [(name, re.compile(pattern)) for name, pattern in AREAS]


def require_py_spy() -> str:
    """The py-spy binary (``pip install py-spy``; it is in the test extra)."""
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: `.venv/bin/pip install -e '.[test]'`")
    return found


def summarize(raw: str, top: int = 15) -> dict:
    """Self and inclusive shares by area, and the functions with the most self time."""
    inclusive: Counter[str] = Counter()
    self_area: Counter[str] = Counter()
    self_func: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        self_func[_short(frames[-1])] += count
        seen = {name for name, rx in _COMPILED if any(rx.search(f) for f in frames)}
        for name in seen:
            inclusive[name] += count
        self_area[_innermost_area(frames)] += count
    share = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "inclusive_pct": {k: share(v) for k, v in inclusive.most_common()},
        "self_pct": {k: share(v) for k, v in self_area.most_common()},
        "top_self_functions_pct": {k: share(v) for k, v in self_func.most_common(top)},
    }


def _innermost_area(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, rx in _COMPILED:
            if rx.search(frame):
                return name
    return "other"


def _short(frame: str) -> str:
    """``func (/long/path/site-packages/pkg/mod.py:12)`` -> ``func (pkg/mod.py:12)``."""
    match = re.match(r"(.*) \((.*)\)$", frame)
    if not match:
        return frame
    func, where = match.groups()
    where = re.sub(r"^.*/(site-packages|lib/python3\.\d+|main)/", "", where)
    where = re.sub(r":\d+$", "", where)  # one entry per function, not per line
    return f"{func} ({where})"


def profile_suite(storage: str, seconds: float, workdir: Path, log: Callable[[str], None]) -> dict:
    """Run wrk -c16 against a 1-worker server for ``seconds`` while py-spy records it."""
    spy = require_py_spy()
    templates = body_templates(200)
    with database(storage, workdir) as url:
        port = servers.free_port()
        env = servers.server_env(url, workdir)
        key = servers.create_key(env)
        with servers.running(servers.triage_argv(port, 1), env, workdir, port) as server:
            run_wrk(
                server.url,
                workdir,
                templates,
                key=key,
                prefix="profile-warm",
                connections=16,
                duration=2,
            )
            raw_path = workdir / f"profile-{storage}.txt"
            spy_proc = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(server.process.pid),
                    "--rate",
                    "200",
                    "--duration",
                    str(int(seconds) + 1),
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--gil",
                    "--output",
                    str(raw_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            load = run_wrk(
                server.url,
                workdir,
                templates,
                key=key,
                prefix="profile",
                connections=16,
                duration=seconds,
            )
            spy_proc.wait(timeout=seconds + 60)
    summary = summarize(raw_path.read_text() if raw_path.exists() else "")
    summary.update({"storage": storage, "rps_while_profiled": load["rps"]})
    log(f"  profile ({storage}): {summary['samples']} samples at {load['rps']} req/s")
    for name, pct in list(summary["inclusive_pct"].items())[:12]:
        log(f"    {pct:5.1f}%  {name}")
    return summary
