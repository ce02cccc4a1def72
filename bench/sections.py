"""The sections of the suite, sized for the full run or ``--quick``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

Log = Callable[[str], None]


def runners(
    args: argparse.Namespace, workdir: Path, log: Log, previous: dict | None = None
) -> dict[str, Callable[[], object]]:
    """A zero-argument callable per section name; ``previous`` holds the last figures."""
    quick = args.quick
    workers = tuple(int(w) for w in args.workers.split(","))
    storages = tuple(s.strip() for s in args.storages.split(","))

    def inprocess() -> dict:
        from bench import inprocess as ip

        model, policy = ip.load_snapshot()
        return {
            "per_note": ip.per_note(model, policy, 500 if quick else 3000, log),
            "batch": ip.batch(model, 20_000 if quick else 100_000, 5_000 if quick else 20_000, log),
            "batch_parallel": ip.batch_parallel(10_000 if quick else 100_000, 2, log),
            "model_version": model.version,
            "policy_version": policy.version,
        }

    def http() -> dict:
        from bench.http import HttpPlan, http_suite

        if quick:
            plan = HttpPlan(
                workers=workers[:1],
                storages=storages,
                connections=(16,),
                saturation_seconds=4,
                rate_seconds=5,
                warmup_seconds=1,
            )
        else:
            plan = HttpPlan(workers=workers, storages=storages)
        return {"plan": plan.__dict__, "runs": http_suite(plan, workdir, log)}

    def startup() -> dict:
        from bench.startup import startup_suite

        return startup_suite(2 if quick else 5, workdir, log)

    def training() -> dict:
        from bench.training import training_suite

        sizes = (10_000,) if quick else (10_000, 100_000, 1_000_000)
        if args.training_sizes:
            sizes = tuple(int(n) for n in args.training_sizes.split(","))
        figures = training_suite(sizes, workdir, log)
        earlier = ((previous or {}).get("training") or {}).get("figures", {}).get("runs", [])
        kept = [r for r in earlier if r["notes"] not in sizes]  # sizes not rerun this time
        figures["runs"] = sorted(kept + figures["runs"], key=lambda r: r["notes"])
        return figures

    def profile() -> dict:
        from bench.profile import profile_suite

        seconds = 4 if quick else 12
        profiled = storages[:1] if quick else storages
        return {s: profile_suite(s, seconds, workdir, log) for s in profiled}

    return {
        "inprocess": inprocess,
        "http": http,
        "startup": startup,
        "training": training,
        "profile": profile,
    }
