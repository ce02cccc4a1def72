"""Run the benchmark suite and write docs/benchmarks.md: ``python -m bench.run [--quick]``.

Sections: inprocess (classify + decide per note, batch scoring), http (triage vs. the bare
ceiling over HTTP), startup, training (streaming trainer, time and peak memory), profile
(py-spy on the live server). ``--only`` runs some of them and keeps the others' last figures.
Before each section the suite waits (up to ``--max-wait`` s) for the one-minute load average to
fall under ``--quiet-below`` and records the load average it started at.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import machine, sections
from bench.report import write_report

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("inprocess", "http", "startup", "training", "profile")


def log(message: str) -> None:
    """Progress on stderr, flushed at once."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections among {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (under 2 minutes); writes var/bench/ unless --out",
    )
    parser.add_argument("--out", type=Path, help="markdown report (default docs/benchmarks.md)")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.7,
        help="wait for a 1-minute load average below this before a section",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=0.0,
        help="seconds to wait for a quiet machine before each section (0: none)",
    )
    parser.add_argument("--workers", default="1,2", help="HTTP worker counts, e.g. 1,2")
    parser.add_argument(
        "--storages", default="sqlite,postgresql", help="HTTP storages among sqlite,postgresql"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: write the report again from the saved figures",
    )
    parser.add_argument(
        "--training-sizes",
        help="comma-separated note counts (default 10000,100000,1000000; --quick: 10000); "
        "the figures of sizes not run are kept",
    )
    parser.add_argument(
        "--model", type=Path, help="benchmark this model artifact instead of the shipped one"
    )
    parser.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep server logs, wrk scripts and py-spy output",
    )
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.out is None:
        args.out = (
            ROOT / "var" / "bench" / "benchmarks-quick.md"
            if args.quick
            else ROOT / "docs" / "benchmarks.md"
        )
    args.results = args.out.with_suffix(".json")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, merge with earlier figures, write the report."""
    args = parse_args(argv)
    if args.model:
        os.environ["TRIAGE_MODEL_PATH"] = str(args.model.resolve())
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    if args.report_only:
        write_report(results, args.out)
        log(f"wrote {args.out}")
        return 0
    results["machine"] = machine.describe()
    workdir = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    failed = 0
    log(f"benchmark work directory: {workdir}")
    try:
        runners = sections.runners(args, workdir, log, previous=results)
        for name in [s for s in SECTIONS if s in args.only]:
            load = machine.wait_for_quiet(args.quiet_below, args.max_wait, log)
            log(f"[{name}] load average {load}")
            started = time.perf_counter()
            try:
                figures = runners[name]()
            except Exception:  # one broken section must not cost the others their figures
                log(traceback.format_exc())
                failed += 1
                continue
            results[name] = {
                "figures": figures,
                "quick": args.quick,
                "load_average_before": load,
                "load_average_after": machine.load_average(),
                "seconds": round(time.perf_counter() - started, 1),
                "taken_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            }
            _save(args, results)
    finally:
        if args.keep_workdir:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(
        f"wrote {args.out}"
        + (f"; {failed} section(s) failed, their last figures kept" if failed else "")
    )
    return 1 if failed else 0


def _save(args: argparse.Namespace, results: dict) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    write_report(results, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
