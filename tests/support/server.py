"""Start the real ``triage serve`` process on a free port for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = str(Path(sys.executable).parent / "triage")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen
    url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the whole process group: no graceful shutdown, like a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process using ``database_url``."""
    # Only the model path passes through, so a suite run can test another artifact.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRIAGE_") or k == "TRIAGE_MODEL_PATH"
    }
    env.update(
        {
            "TRIAGE_DATABASE_URL": database_url,
            "TRIAGE_JOURNAL_DIR": str(tmp_path / "journal"),
            "TRIAGE_MODEL_DIR": str(tmp_path / "models"),
            "TRIAGE_LOG_LEVEL": "WARNING",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
    )
    env.update(extra)
    return env


def start_server(
    env: dict[str, str],
    tmp_path: Path,
    *,
    workers: int = 1,
    port: int | None = None,
    timeout: float = 60,
    ready_path: str = "/readyz",
) -> ServerProcess:
    """Start ``triage serve`` and wait until ``ready_path`` answers 200.

    ``ready_path="/readyz/triage"`` for a server started while its database is away.
    """
    port = port or free_port()
    log_path = tmp_path / f"server-{port}.log"
    handle = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [TRIAGE, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = ServerProcess(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(server.url + ready_path, timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"server not ready in {timeout}s:\n{server.log()}")


@contextmanager
def running_server(env: dict[str, str], tmp_path: Path, **kwargs) -> Iterator[ServerProcess]:
    """A server for the duration of a with-block."""
    server = start_server(env, tmp_path, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def create_key_cli(env: dict[str, str], role: str, name: str = "e2e") -> str:
    """Create a key with the real CLI; the secret is the last line of stdout."""
    out = subprocess.run(
        [TRIAGE, "keys", "create", "--role", role, "--name", name],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]
