"""The benchmark harness runs (no timing is asserted: benchmarks are not tests)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import http, servers
from bench.profile import summarize
from bench.report import targets, write_report
from bench.stats import percentile, summarize_ms
from bench.wrk import run_fixed_rate, run_wrk

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    '"narrative":"RP STATES MALE W/KNIFE \\"YELLING\\"","call_type":"DIST"}',
    '"narrative":"loud music"}',
]


def test_help_lists_sections_and_quick() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.run", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--only" in out.stdout and "--quick" in out.stdout


def test_unknown_section_is_refused() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", "nonsense"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "unknown sections" in out.stderr


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99
    assert summarize_ms([0.001, 0.002, 0.003])["median_ms"] == 2.0


@pytest.fixture(scope="module")
def ceiling(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    workdir = tmp_path_factory.mktemp("ceiling")
    port = servers.free_port()
    env = servers.server_env(f"sqlite:///{workdir / 'unused.db'}", workdir)
    with servers.running(servers.ceiling_argv(port, 1), env, workdir, port) as server:
        yield server, workdir


@pytest.mark.e2e
def test_fixed_rate_generator_answers_every_request(ceiling) -> None:  # type: ignore[no-untyped-def]
    server, workdir = ceiling
    result = run_fixed_rate(
        server.port, workdir, TEMPLATES, key="k", prefix="t1", rate=40, duration=1
    )
    assert result["statuses"] == {"200": 40}
    assert sorted(result["acknowledged_ids"]) == sorted(f"t1-{i}" for i in range(40))
    assert result["latency"]["count"] == 40


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (apt-get install wrk)")
def test_wrk_script_posts_valid_bodies(ceiling) -> None:  # type: ignore[no-untyped-def]
    server, workdir = ceiling
    result = run_wrk(
        server.url, workdir, TEMPLATES, key="k", prefix="w1", connections=2, duration=1
    )
    # The ceiling parses the same TriageRequest: a malformed body would answer 422.
    assert result["ok"] > 0 and result["non200"] == 0


def test_verify_flags_an_acknowledged_call_that_is_not_stored(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(servers, "stored_call_ids", lambda url, prefix: {"p-1", "p-2", "p-9"})
    good = {"acknowledged_ids": ["p-1", "p-2"], "ok": 2}
    http.verify("sqlite://", "p", good)
    assert good["every_200_stored"] and good["stored_not_acknowledged"] == 1
    bad = {"acknowledged_ids": ["p-1", "p-3"], "ok": 2}
    http.verify("sqlite://", "p", bad)
    assert not bad["every_200_stored"] and bad["acknowledged_not_stored"] == 1


def test_profile_summary_sums_samples_by_area() -> None:
    raw = "\n".join(
        [
            "main (uvicorn/server.py:1);triage (service/triage/router.py:5);"
            "classify (/x/service/classifier/model.py:9) 30",
            "main (uvicorn/server.py:1);do_commit (/x/site-packages/sqlalchemy/engine/default.py:1) 10",
        ]
    )
    summary = summarize(raw)
    assert summary["samples"] == 40
    assert summary["self_pct"]["classify (service/classifier)"] == 75.0
    assert summary["inclusive_pct"]["HTTP server (uvicorn/httptools/uvloop)"] == 100.0


def test_report_says_by_how_much_a_target_is_missed(tmp_path: Path) -> None:
    results = {
        "startup": {
            "figures": {
                "median_s": 4.5,
                "restart_s": [4.5],
                "import_s": 1.0,
                "fresh_database_s": 5.0,
            },
            "quick": True,
            "load_average_before": 0.1,
            "load_average_after": 0.2,
            "seconds": 10,
            "taken_at": "now",
        }
    }
    assert ("start-up <= 3 s (median)", "4.50 s", "**missed by 50%**") in targets(results)
    write_report(results, tmp_path / "b.md")
    text = (tmp_path / "b.md").read_text()
    assert "missed by 50%" in text and "## Start-up" in text
    json.dumps(results)


def test_peak_memory_is_the_childs_own_not_the_parents(tmp_path: Path) -> None:
    """A child forked from a large process reports the parent's size as its ru_maxrss; the
    bench measures through bench.maxrss so that the figure is the command's own."""
    import os
    import sys

    from bench.training import measure_child

    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    child = "x = bytearray(40 * 1024 * 1024)\nx[::4096] = b'1' * len(x[::4096])"
    run = measure_child([sys.executable, "-c", child], dict(os.environ), tmp_path / "c.log", 60)
    assert run["ok"] and run["exit_code"] == 0
    assert 40 <= run["peak_rss_mib"] < 150, run
    failed = measure_child(
        [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), tmp_path / "f.log", 60
    )
    assert failed["exit_code"] == 3 and not failed["ok"]
    del ballast
