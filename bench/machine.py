"""What machine a figure was taken on, and how busy it was."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib import metadata

LIBRARIES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "sqlalchemy",
    "psycopg",
    "scikit-learn",
    "numpy",
    "scipy",
    "skops",
    "structlog",
)


def load_average() -> float:
    """The one-minute load average."""
    return round(os.getloadavg()[0], 2)


def wait_for_quiet(threshold: float, max_wait: float, log: callable) -> float:
    """Wait up to ``max_wait`` seconds for the 1-minute load average to fall below ``threshold``.

    Returns the load average when the wait ended (quiet or not); the caller records it.
    """
    deadline = time.monotonic() + max_wait
    load = load_average()
    while load >= threshold and time.monotonic() < deadline:
        log(f"waiting for a quiet machine: load average {load} >= {threshold}")
        time.sleep(min(15.0, max(1.0, deadline - time.monotonic())))
        load = load_average()
    return load


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def describe() -> dict:
    """CPU model, cores, memory, OS, Python and library versions."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "libraries": {name: _version(name) for name in LIBRARIES},
        "wrk": _tool_version(["wrk", "--version"]),
        "postgresql": _tool_version(["psql", "--version"]),
    }
