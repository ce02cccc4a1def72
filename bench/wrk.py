"""Drive a server at saturation with ``wrk`` (closed loop: each connection sends as soon as
its previous answer arrives) and with the open-loop fixed-rate generator (bench.loadgen)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

LUA_TEMPLATE = Path(__file__).with_name("triage.lua")


def lua_string(text: str) -> str:
    """A Lua long-bracket-free string literal for ``text`` (escaped quotes and backslashes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_script(workdir: Path, templates: list[str], *, key: str, prefix: str) -> Path:
    """A per-run copy of triage.lua with the bodies, key, prefix and ids file filled in."""
    bodies = "{\n" + ",\n".join("  " + lua_string(t) for t in templates) + "\n}"
    script = (
        LUA_TEMPLATE.read_text()
        .replace("@@BODIES@@", bodies)
        .replace("@@PREFIX@@", prefix)
        .replace("@@KEY@@", key)
        .replace("@@IDS_PATH@@", str(workdir / f"{prefix}.ids"))
    )
    path = workdir / f"{prefix}.lua"
    path.write_text(script)
    return path


def require_wrk() -> str:
    """The wrk binary, or a clear message how to install it."""
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (Debian), then rerun")
    return found


def run_wrk(
    url: str,
    workdir: Path,
    templates: list[str],
    *,
    key: str,
    prefix: str,
    connections: int,
    duration: float,
    threads: int = 2,
) -> dict:
    """One wrk run; returns its summary and the call ids answered 200."""
    script = render_script(workdir, templates, key=key, prefix=prefix)
    argv = [
        require_wrk(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{int(duration)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url + "/v1/triage",
    ]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{out.stdout}\n{out.stderr}")
    summary = json.loads(line[len("WRKJSON ") :])
    ids_file = workdir / f"{prefix}.ids"
    acknowledged = ids_file.read_text().split() if ids_file.exists() else []
    seconds = summary["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "connections": connections,
        "duration_s": round(seconds, 2),
        "requests": summary["requests"],
        "ok": summary["ok"],
        "non200": summary["non200"],
        "socket_errors": {
            k: summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
        },
        "rps": round(summary["ok"] / seconds, 1) if seconds else 0.0,
        "latency": {
            "median_ms": summary["median_us"] / 1000,
            "p90_ms": summary["p90_us"] / 1000,
            "p99_ms": summary["p99_us"] / 1000,
            "p999_ms": summary["p999_us"] / 1000,
            "max_ms": summary["max_us"] / 1000,
            "mean_ms": round(summary["mean_us"] / 1000, 3),
        },
        "acknowledged_ids": acknowledged,
    }


def run_fixed_rate(
    port: int,
    workdir: Path,
    templates: list[str],
    *,
    key: str,
    prefix: str,
    rate: float,
    duration: float,
) -> dict:
    """One open-loop run in a separate process (bench.loadgen) at ``rate`` requests/s."""
    templates_path = workdir / f"{prefix}.templates.json"
    templates_path.write_text(json.dumps(templates))
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(port),
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--key",
        key,
        "--prefix",
        prefix,
        "--templates",
        str(templates_path),
        "--ids",
        "--out",
        str(workdir / f"{prefix}.result.json"),
    ]
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 90, cwd=root)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed:\n{out.stderr}")
    # A file, not stdout: the acknowledged ids make the result hundreds of kilobytes.
    result = json.loads((workdir / f"{prefix}.result.json").read_text())
    result["tool"] = "bench.loadgen (open loop)"
    result["acknowledged_ids"] = result.pop("acknowledged")
    result["ok"] = len(result["acknowledged_ids"])
    return result
