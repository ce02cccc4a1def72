"""Over HTTP: POST /v1/triage on SQLite and PostgreSQL, 1 and 2 workers, and the bare ceiling.

Every server is the real process (``triage serve`` or uvicorn for the ceiling) on 127.0.0.1; the
load comes from separate processes (wrk for saturation, bench.loadgen for a fixed rate). After
each triage run the database is read back: every call id answered 200 must be stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.machine import load_average
from bench.notes import body_templates
from bench.wrk import run_fixed_rate, run_wrk


@dataclass(frozen=True)
class HttpPlan:
    """What to run: sizes differ between the full suite and ``--quick``."""

    workers: tuple[int, ...] = (1, 2)
    storages: tuple[str, ...] = ("sqlite", "postgresql")
    connections: tuple[int, ...] = (8, 16, 32)
    saturation_seconds: float = 15
    rate: float = 200
    rate_seconds: float = 15
    warmup_seconds: float = 3


@contextmanager
def database(storage: str, workdir: Path) -> Iterator[str]:
    """A fresh database of the given kind."""
    if storage == "postgresql":
        with servers.postgres_database() as url:
            yield url
    else:
        with servers.sqlite_database(workdir) as url:
            yield url


def verify(url: str | None, prefix: str, result: dict) -> None:
    """Check every acknowledged call id is stored; count stored ones never acknowledged."""
    acked = set(result.pop("acknowledged_ids"))
    if url is None:  # the ceiling stores nothing
        return
    stored = servers.stored_call_ids(url, prefix)
    result["stored"] = len(stored)
    result["acknowledged_not_stored"] = len(acked - stored)
    # wrk stops at its deadline with requests in flight: those may be stored, never answered.
    result["stored_not_acknowledged"] = len(stored - acked)
    result["every_200_stored"] = not (acked - stored) and len(acked) == result["ok"]


def scenario(
    kind: str,
    storage: str | None,
    workers: int,
    plan: HttpPlan,
    workdir: Path,
    log: Callable[[str], None],
) -> list[dict]:
    """Start one server and run the fixed-rate and saturation loads against it."""
    templates = body_templates(200)
    with database(storage or "sqlite", workdir) as url:
        port = servers.free_port()
        env = servers.server_env(url, workdir)
        key = servers.create_key(env) if kind == "triage" else "none"
        argv = servers.triage_argv if kind == "triage" else servers.ceiling_argv
        with servers.running(argv(port, workers), env, workdir, port) as server:
            stored_url = url if kind == "triage" else None
            tag = f"{kind}-{storage or 'none'}-w{workers}"
            run_wrk(
                server.url,
                workdir,
                templates,
                key=key,
                prefix=f"{tag}-warm",
                connections=8,
                duration=plan.warmup_seconds,
            )
            runs = [_fixed(server, stored_url, templates, key, tag, plan, workdir)]
            for conns in plan.connections:
                runs.append(
                    _saturate(server, stored_url, templates, key, tag, conns, plan, workdir)
                )
    for run in runs:
        run.update({"kind": kind, "storage": storage, "workers": workers})
        _log_run(run, log)
    return runs


def _fixed(server, url, templates, key, tag, plan, workdir) -> dict:  # type: ignore[no-untyped-def]
    prefix = f"{tag}-rate{int(plan.rate)}-{time.time_ns() % 10**9}"
    load = load_average()
    result = run_fixed_rate(
        server.port,
        workdir,
        templates,
        key=key,
        prefix=prefix,
        rate=plan.rate,
        duration=plan.rate_seconds,
    )
    result.update({"mode": "fixed_rate", "load_average_before": load})
    verify(url, prefix, result)
    return result


def _saturate(server, url, templates, key, tag, conns, plan, workdir) -> dict:  # type: ignore[no-untyped-def]
    prefix = f"{tag}-c{conns}-{time.time_ns() % 10**9}"
    load = load_average()
    result = run_wrk(
        server.url,
        workdir,
        templates,
        key=key,
        prefix=prefix,
        connections=conns,
        duration=plan.saturation_seconds,
    )
    result.update({"mode": "saturation", "load_average_before": load})
    verify(url, prefix, result)
    return result


def _log_run(run: dict, log: Callable[[str], None]) -> None:
    where = f"{run['kind']:7} {run['storage'] or '-':10} w{run['workers']}"
    lat = run["latency"]
    if run["mode"] == "fixed_rate":
        what = f"{run['rate_target']:.0f} req/s fixed: {run['achieved_rps']} req/s"
    else:
        what = f"wrk -c{run['connections']:<2}: {run['rps']} req/s"
    stored = ""
    if "stored" in run:
        stored = (
            f", {run['ok']} ok / {run['stored']} stored, all 200s stored: {run['every_200_stored']}"
        )
    log(f"  {where} {what}, median {lat['median_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms{stored}")


def http_suite(plan: HttpPlan, workdir: Path, log: Callable[[str], None]) -> list[dict]:
    """Ceiling and triage runs for every worker count; ceilings first at each worker count."""
    runs: list[dict] = []
    for workers in plan.workers:
        runs += scenario("ceiling", None, workers, plan, workdir, log)
        for storage in plan.storages:
            runs += scenario("triage", storage, workers, plan, workdir, log)
    return runs
