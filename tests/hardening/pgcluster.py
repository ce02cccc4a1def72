"""A private PostgreSQL cluster on its own port, so a test can stop and start "the database"
without disturbing the shared server on 5432."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.server import free_port


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), if any."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(candidates[-1]).parent if candidates else None


def _major(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


class PrivateCluster:
    """initdb into a temporary directory; start and stop it with pg_ctl (as ``postgres`` when
    the tests run as root, since PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="triage-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *args], check=True, capture_output=True, timeout=timeout, cwd=self.base
        )

    def init(self) -> PrivateCluster:
        """Create the cluster (trust authentication, localhost only)."""
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop it: ``fast`` disconnects clients and aborts their transactions."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop (if running) and delete everything."""
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)
