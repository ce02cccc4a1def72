"""Render the suite's figures (a JSON beside the report) as docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

FINDINGS = Path(__file__).with_name("findings.md")

HEADER = """# Benchmarks

Written by `make bench` (`python -m bench.run`) from the figures in `{json_name}`; do not edit
by hand: the profile findings and fixes come from `bench/findings.md`.

**Rerun:** `make bench` (full suite: about 13 minutes on a quiet machine plus the 1M-note
training, see its row) or
`.venv/bin/python -m bench.run --quick` (under 2 minutes, written to `var/bench/`).
`--only inprocess,http,startup,training,profile` runs some sections and keeps the others'
last figures; `--max-wait 600` waits for a quiet machine (1-minute load average under
`--quiet-below`, 0.7) before each section. Needs `wrk`
(`apt-get install -y wrk`), PostgreSQL on 127.0.0.1:5432 (a `bench_<random>` database is
created and dropped) and the shipped model `models/triage-default.skops`.
"""


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _verdict(measured: float | None, target: float, *, higher_is_better: bool) -> str:
    if measured is None:
        return "not measured"
    met = measured >= target if higher_is_better else measured <= target
    if met:
        return "met"
    if not higher_is_better and measured > 2 * target:
        return f"**missed: {measured / target:.1f}x the limit**"
    miss = (target - measured) / target if higher_is_better else (measured - target) / target
    return f"**missed by {miss:.0%}**"


def _section(results: dict, name: str) -> dict | None:
    section = results.get(name)
    return section["figures"] if section else None


def _stamp(results: dict, name: str) -> str:
    s = results.get(name)
    if not s:
        return "_not run yet_"
    quick = " (--quick sizes)" if s.get("quick") else ""
    return (
        f"_Taken {s['taken_at']}{quick}, load average {s['load_average_before']} before, "
        f"{s['load_average_after']} after, {s['seconds']} s._"
    )


def ceiling_ratios(runs: list[dict]) -> list[dict]:
    """Triage saturation runs with their ratio to the ceiling at the same workers and -c."""
    ceilings = {
        (r["workers"], r["connections"]): r["rps"]
        for r in runs
        if r["kind"] == "ceiling" and r["mode"] == "saturation"
    }
    out = []
    for run in runs:
        if run["kind"] == "triage" and run["mode"] == "saturation":
            ceiling = ceilings.get((run["workers"], run["connections"]))
            ratio = run["rps"] / ceiling if ceiling else None
            out.append({**run, "ceiling_rps": ceiling, "ratio": ratio})
    return out


def targets(results: dict) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows."""
    rows = []
    inproc = _section(results, "inprocess")
    if inproc:
        per = inproc["per_note"].values()
        median = max(p["classify_decide"]["median_ms"] for p in per)
        p99 = max(p["classify_decide"]["p99_ms"] for p in per)
        rows.append(
            (
                "classify + decide median <= 0.5 ms (worst length)",
                f"{median:.3f} ms",
                _verdict(median, 0.5, higher_is_better=False),
            )
        )
        rows.append(
            (
                "classify + decide p99 <= 2 ms (worst length)",
                f"{p99:.3f} ms",
                _verdict(p99, 2.0, higher_is_better=False),
            )
        )
        batch = inproc["batch"]
        rate = batch["scores"]["notes_per_s"]
        rows.append(
            (
                "batch scoring >= 20,000 notes/s (1 process: classify_many, scores)",
                f"{rate:,.0f} notes/s",
                _verdict(rate, 20_000, higher_is_better=True),
            )
        )
        if "batch_parallel" in inproc:
            par = inproc["batch_parallel"]
            rate = par["notes_per_s"]
            rows.append(
                (
                    f"batch scoring >= 20,000 notes/s (`triage score`, {par['processes']} "
                    "processes: both cores)",
                    f"{rate:,.0f} notes/s",
                    _verdict(rate, 20_000, higher_is_better=True),
                )
            )
            if "file_notes_per_s" in par:
                rate = par["file_notes_per_s"]
                rows.append(
                    (
                        "(the same file to file, JSONL in, CSV out: no target)",
                        f"{rate:,.0f} notes/s",
                        "-",
                    )
                )
        rate = batch["explained"]["notes_per_s"]
        rows.append(("(the same with explanations: no target)", f"{rate:,.0f} notes/s", "-"))
    http = _section(results, "http")
    if http:
        rows += _http_targets(http["runs"])
    start = _section(results, "startup")
    if start:
        rows.append(
            (
                "start-up <= 3 s (median)",
                f"{start['median_s']:.2f} s",
                _verdict(start["median_s"], 3.0, higher_is_better=False),
            )
        )
    train = _section(results, "training")
    if train:
        big = next((r for r in train["runs"] if r["notes"] == 1_000_000 and r.get("ok")), None)
        seconds = big["seconds"] if big else None
        peak = big["peak_rss_mib"] / 1024 if big else None
        rows.append(
            (
                "1M-note training <= 10 min",
                f"{_fmt(seconds, 0)} s",
                _verdict(seconds, 600, higher_is_better=False),
            )
        )
        rows.append(
            (
                "1M-note training peak <= 3 GB",
                f"{_fmt(peak)} GiB",
                _verdict(peak, 3.0, higher_is_better=False),
            )
        )
    return rows


def _http_targets(runs: list[dict]) -> list[tuple[str, str, str]]:
    rows = []
    ratios = [r for r in ceiling_ratios(runs) if r["ratio"] is not None]
    if ratios:
        worst = min(ratios, key=lambda r: r["ratio"])
        where = f"{worst['storage']}, {worst['workers']} worker(s), -c{worst['connections']}"
        rows.append(
            (
                "triage >= 60% of the ceiling (worst case)",
                f"{worst['ratio']:.0%} ({where})",
                _verdict(worst["ratio"], 0.6, higher_is_better=True),
            )
        )
    triage = [r for r in runs if r["kind"] == "triage"]
    stored = all(r.get("every_200_stored") for r in triage)
    rows.append(
        (
            "every recommendation stored (each 200's call id read back)",
            f"{sum(r['ok'] for r in triage):,} answers checked",
            "met" if stored else "**missed**",
        )
    )
    for storage in ("sqlite", "postgresql"):
        fixed = [r for r in triage if r["mode"] == "fixed_rate" and r["storage"] == storage]
        if fixed:
            worst = max(fixed, key=lambda r: r["latency"]["p99_ms"])
            p99 = worst["latency"]["p99_ms"]
            rows.append(
                (
                    f"p99 <= 25 ms at 200 req/s, {storage} (worst worker count)",
                    f"{p99:.1f} ms ({worst['workers']} worker(s))",
                    _verdict(p99, 25, higher_is_better=False),
                )
            )
    return rows


QUIET = 0.7


def _targets_md(results: dict) -> list[str]:
    lines = ["## Targets (issue 7)", "", "| target | measured | verdict |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in targets(results)]
    loads = [
        s["load_average_before"]
        for s in results.values()
        if isinstance(s, dict) and "load_average_before" in s
    ]
    if loads and max(loads) >= QUIET:
        lines += [
            "",
            f"**Busy machine.** Sections started at a one-minute load average of "
            f"{min(loads)} to {max(loads)} on 2 cores (quiet: under {QUIET}): other "
            "helpers' test suites, trainings and servers ran at the same time, so every "
            "figure here is slower than this code on a quiet machine, the latencies and "
            "the start-up most of all. Rerun with `--max-wait 600` on a quiet machine.",
        ]
    return lines + [""]


def _machine_md(results: dict) -> list[str]:
    m = results.get("machine", {})
    libs = ", ".join(f"{k} {v}" for k, v in m.get("libraries", {}).items())
    return [
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')}, {m.get('cores')} cores; memory {m.get('memory_gib')} GiB; "
        f"{m.get('os')}",
        f"- Python {m.get('python')}; {libs}",
        f"- {m.get('wrk')}; {m.get('postgresql')}",
        "",
        "Other helpers' jobs share this machine; each section records the one-minute load "
        "average before and after it (the HTTP section's own load raises the latter).",
        "",
    ]


def _inprocess_md(results: dict) -> list[str]:
    lines = ["## In-process: classify + decide", "", _stamp(results, "inprocess"), ""]
    fig = _section(results, "inprocess")
    if not fig:
        return lines
    lines += [
        f"Model `{fig['model_version']}`, policy `{fig['policy_version']}`; one note at a time, "
        "`TriageModel.classify` then `decide`, timed with `perf_counter` after 200 warm-up "
        "calls.",
        "",
        "| note | calls | classify + decide median | p99 | max | classify median | decide median |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in sorted(fig["per_note"].items(), key=lambda item: item[1]["words"]):
        both = p["classify_decide"]
        lines.append(
            f"| {name} ({p['words']} words) | {both['count']:,} | {both['median_ms']:.3f} ms | "
            f"{both['p99_ms']:.3f} ms | {both['max_ms']:.2f} ms | "
            f"{p['classify']['median_ms']:.3f} ms | {p['decide']['median_ms']:.3f} ms |"
        )
    b = fig["batch"]
    lines += [
        "",
        f"Batch scoring: one `classify_many` call over {b['notes']:,} generated notes "
        f"(mean {b['mean_words']} words): scores only (`explain=False`) "
        f"{b['scores']['seconds']:.2f} s = **{b['scores']['notes_per_s']:,.0f} notes/s**; "
        f"with evidence and negations (first {b['explained'].get('notes', b['notes']):,}) "
        f"{b['explained']['seconds']:.2f} s = "
        f"{b['explained']['notes_per_s']:,.0f} notes/s.",
        "",
    ]
    if "batch_parallel" in fig:
        par = fig["batch_parallel"]
        lines += [
            f"Scores only through `triage score`'s code path (`training/score.py`: chunks of "
            f"{par.get('chunk', 2000):,} notes over {par['processes']} processes sharing the "
            f"loaded model, in input order): {par['seconds']:.2f} s = "
            f"{par['notes_per_s']:,.0f} notes/s.",
        ]
        if "file_notes_per_s" in par:
            lines.append(
                f"The whole command's path, reading a JSONL file and writing a CSV file (pool "
                f"start included, model loading not): {par['file_seconds']:.2f} s = "
                f"{par['file_notes_per_s']:,.0f} notes/s."
            )
        lines.append("")
    return lines


HTTP_METHOD = """Servers: `triage serve --workers N` (production settings: INFO JSON logs to a file,
BLAS threads 1 per worker) and the ceiling `bench/ceiling.py` (a bare FastAPI app parsing the
same `TriageRequest` body and returning a constant, served by uvicorn with the same options:
same workers, access log off, uvloop + httptools). Everything on 127.0.0.1; the load comes from
separate processes on the same 2 cores, so client and server compete for CPU.

- **Fixed rate:** `bench/loadgen.py`, an open-loop asyncio generator (Debian has no `wrk2`):
  it issues request *i* at *start + i/rate* whether or not earlier answers came back, over
  keep-alive connections (up to 64), and times each request from that moment, so queueing
  in the server is counted, not hidden (no coordinated omission). It waits for every answer.
- **Saturation:** `wrk -t2 -cN -d{sat}s` with `bench/triage.lua`: varied notes (one in ten a
  long multi-entry narrative), a cad key, a unique call id per request (thread id + counter),
  so each request stores a new recommendation.
- **Stored check:** after each triage run the call ids answered 200 (collected by the Lua
  script / the generator from the response bodies) are read back from the database: every one
  must be stored. wrk stops at its deadline with requests in flight; those may be stored but
  were never answered (column "in flight at stop").
"""


def _http_md(results: dict) -> list[str]:
    lines = ["## Over HTTP: POST /v1/triage vs. the ceiling", "", _stamp(results, "http"), ""]
    fig = _section(results, "http")
    if not fig:
        return lines
    runs = fig["runs"]
    lines += [HTTP_METHOD.format(sat=int(fig["plan"]["saturation_seconds"])), ""]
    lines += [
        f"### Fixed rate ({fig['plan']['rate']:.0f} req/s for {fig['plan']['rate_seconds']:.0f} s)",
        "",
        "| server | storage | workers | achieved req/s | median | p90 | p99 | p99.9 | max "
        "| 200s | other answers / errors | all 200s stored | load avg before |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in runs:
        if r["mode"] != "fixed_rate":
            continue
        lat = r["latency"]
        lines.append(
            f"| {r['kind']} | {r['storage'] or '-'} | {r['workers']} | {r['achieved_rps']} | "
            f"{lat['median_ms']:.1f} ms | {lat['p90_ms']:.1f} ms | {lat['p99_ms']:.1f} ms | "
            f"{lat['p999_ms']:.1f} ms | {lat['max_ms']:.1f} ms | {r['ok']:,} | "
            f"{_others(r)} | {_stored_cell(r)} | {r['load_average_before']} |"
        )
    lines += [
        "",
        "### Saturation (wrk)",
        "",
        "| server | storage | workers | -c | req/s | ceiling req/s | ratio | median | p99 "
        "| 200s | all 200s stored | in flight at stop |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    ratios = {(r["storage"], r["workers"], r["connections"]): r for r in ceiling_ratios(runs)}
    for r in runs:
        if r["mode"] != "saturation":
            continue
        lat = r["latency"]
        rr = ratios.get((r["storage"], r["workers"], r["connections"]), {})
        ratio = f"**{rr['ratio']:.0%}**" if rr.get("ratio") is not None else "-"
        ceiling = _fmt(rr.get("ceiling_rps"), 0) if rr else "-"
        lines.append(
            f"| {r['kind']} | {r['storage'] or '-'} | {r['workers']} | {r['connections']} | "
            f"{r['rps']:,.0f} | {ceiling} | {ratio} | {lat['median_ms']:.1f} ms | "
            f"{lat['p99_ms']:.1f} ms | {r['ok']:,} | {_stored_cell(r)} | "
            f"{r.get('stored_not_acknowledged', '-')} |"
        )
    return lines + [""]


def _others(run: dict) -> str:
    """Non-200 answers by status, and socket errors, of a fixed-rate run."""
    parts = [f"{n} x {code}" for code, n in run.get("statuses", {}).items() if code != "200"]
    parts += [f"{n} x {name}" for name, n in run.get("errors", {}).items()]
    return ", ".join(parts) or "none"


def _stored_cell(run: dict) -> str:
    if "stored" not in run:
        return "-"
    return "yes" if run["every_200_stored"] else f"**NO ({run['acknowledged_not_stored']} lost)**"


def _startup_md(results: dict) -> list[str]:
    lines = ["## Start-up", "", _stamp(results, "startup"), ""]
    fig = _section(results, "startup")
    if fig:
        lines += [
            "From `Popen(triage serve --workers 1)` to the first `/readyz` 200 (polled every "
            "10 ms), SQLite: the model and policy are loaded and the database answers.",
            "",
            f"- restart, median of {len(fig['restart_s'])}: **{fig['median_s']:.2f} s** "
            f"(each: {', '.join(f'{t:.2f}' for t in fig['restart_s'])} s)",
            f"- first start on a fresh database (schema created): {fig['fresh_database_s']:.2f} s",
            f"- of which importing `service.main` alone: {fig['import_s']:.2f} s",
            "",
        ]
    return lines


def _training_md(results: dict) -> list[str]:
    lines = ["## Training (streaming trainer)", "", _stamp(results, "training"), ""]
    fig = _section(results, "training")
    if not fig:
        return lines
    lines += [
        fig.get("method", ""),
        "",
        "| notes | wall time | peak memory (max RSS) | result | taken | load avg before |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in fig["runs"]:
        result = "ok" if r.get("ok") else f"failed: {r.get('error', '')}"
        lines.append(
            f"| {r['notes']:,} | {_fmt(r.get('seconds'), 1)} s | "
            f"{_fmt(r.get('peak_rss_mib'), 0)} MiB | {result} | {r.get('taken_at', '-')} | "
            f"{r.get('load_average_before', '-')} |"
        )
    return lines + [""]


def _profile_md(results: dict) -> list[str]:
    lines = ["## Profile of the triage request", "", _stamp(results, "profile"), ""]
    fig = _section(results, "profile")
    if fig:
        lines += [
            "py-spy sampled the thread holding the GIL in a 1-worker `triage serve` at "
            "200 Hz while wrk -c16 saturated it: shares of the Python time (a sample counts "
            "in every area on its stack, so inclusive shares overlap; disk and database "
            "waits, with the GIL released, are not counted).",
            "",
        ]
        for storage, p in fig.items():
            lines += [
                f"**{storage}** ({p['samples']:,} samples, {p['rps_while_profiled']} "
                "req/s while profiled)",
                "",
                "| area | inclusive | self |",
                "| --- | --- | --- |",
            ]
            for area, pct in sorted(p["inclusive_pct"].items(), key=lambda kv: -kv[1]):
                lines.append(f"| {area} | {pct}% | {p['self_pct'].get(area, 0)}% |")
            lines += [
                "",
                "Top functions by self time: "
                + "; ".join(
                    f"`{f}` {pct}%"
                    for f, pct in sorted(
                        p["top_self_functions_pct"].items(), key=lambda kv: -kv[1]
                    )[:10]
                ),
                "",
            ]
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().strip(), ""]
    return lines


def write_report(results: dict, out: Path) -> None:
    """Write the markdown report for ``results`` to ``out``."""
    lines = [HEADER.format(json_name=out.with_suffix(".json").name)]
    for part in (
        _targets_md,
        _machine_md,
        _inprocess_md,
        _http_md,
        _startup_md,
        _training_md,
        _profile_md,
    ):
        lines += part(results)
    out.write_text("\n".join(lines).rstrip() + "\n")
