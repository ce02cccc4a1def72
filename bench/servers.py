"""Start and stop the servers under test, their databases and their keys (127.0.0.1 only)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The ``triage`` command, run as a module from this tree (cwd=ROOT) so that a benchmark of
# another checkout measures that checkout's code, not the one installed in the virtualenv.
TRIAGE = [str(BIN / "python"), "-m", "service.cli"]
PG_ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """The status of a GET on 127.0.0.1:port, or None when nothing answers (no client library,
    so that the start-up measurement does not pay for one)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            head = sock.recv(64)
    except OSError:
        return None
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def server_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The production defaults (INFO JSON logs to stderr) with this run's database."""
    keep = {"TRIAGE_MODEL_PATH"}  # set by ``bench.run --model``
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_") or k in keep}
    env.update(
        {
            "TRIAGE_DATABASE_URL": database_url,
            "TRIAGE_JOURNAL_DIR": str(workdir / "journal"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            # Rate limiting stays on (a counter lease every 100 requests), with a per-key limit
            # the benchmark never reaches: the default, 30,000 a minute, is 500 req/s.
            "TRIAGE_RATE_LIMIT_REQUESTS": "100000000",
        }
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A running server process group."""

    process: subprocess.Popen
    port: int
    log_path: Path
    started: float
    ready_after: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def triage_argv(port: int, workers: int) -> list[str]:
    """The production command line."""
    return [
        *TRIAGE,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def ceiling_argv(port: int, workers: int) -> list[str]:
    """The bare app with the uvicorn settings ``triage serve`` uses."""
    return [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "bench.ceiling:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "10",
    ]


def start(
    argv: list[str],
    env: dict[str, str],
    workdir: Path,
    port: int,
    timeout: float = 90,
    poll: float = 0.01,
) -> Server:
    """Start a server and wait until ``/readyz`` answers 200; records the time it took."""
    log_path = workdir / f"server-{port}.log"
    handle = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(process=process, port=port, log_path=log_path, started=started)
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')}")
        if http_status(port, "/readyz") == 200:
            server.ready_after = time.perf_counter() - started
            return server
        time.sleep(poll)
    server.stop()
    raise RuntimeError(f"server not ready in {timeout}s:\n{log_path.read_text(errors='replace')}")


@contextmanager
def running(argv: list[str], env: dict[str, str], workdir: Path, port: int) -> Iterator[Server]:
    """A server for the duration of a with-block."""
    server = start(argv, env, workdir, port)
    try:
        yield server
    finally:
        server.stop()


def create_key(env: dict[str, str], role: str = "cad") -> str:
    """A key made with the real CLI; the secret is the last line of its output."""
    out = subprocess.run(
        [*TRIAGE, "keys", "create", "--role", role, "--name", "bench"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards."""
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    """A fresh SQLite file in the run's work directory."""
    yield f"sqlite:///{workdir / ('bench-' + secrets.token_hex(4) + '.db')}"


def stored_call_ids(database_url: str, prefix: str) -> set[str]:
    """The call ids stored under ``prefix`` (one recommendation each: ids are unique)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT call_id FROM recommendations WHERE call_id LIKE :p"),
                {"p": prefix + "-%"},
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()
