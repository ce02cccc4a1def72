"""One SQLite writer at a time, across the threads and the worker processes of a server.

SQLite admits one writer; a connection refused by ``BEGIN IMMEDIATE`` retries in SQLite's busy
handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms between tries. Under load those sleeps,
not the work, set the latency: a writer can wait 10-50 ms for a lock that was free after one.
Here the threads of a process queue on a lock, and the processes on ``flock(2)`` of a file
beside the database, polled at sub-millisecond intervals: the next writer starts within a
fraction of a millisecond of the previous commit.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from types import TracebackType

# Past this, stop waiting for the file lock and let BEGIN IMMEDIATE and SQLite's own busy
# timeout decide (the same 15 s, and the same "database is locked" error as without this lock).
_GIVE_UP_SECONDS = 15.0
_MAX_POLL_SECONDS = 0.0005


class SqliteWriteLock:
    """Reentrant within a thread; one holder per database file across processes."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        in_memory = not database or database == ":memory:"
        self._path = None if in_memory else Path(f"{database}.write.lock")
        self._fd: int | None = None
        self._depth = 0
        self._holds_file = False

    def __enter__(self) -> SqliteWriteLock:
        self._threads.acquire()
        if self._depth == 0 and self._path is not None:
            try:
                self._holds_file = self._lock_file()
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._holds_file and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._holds_file = False
        self._threads.release()

    def _lock_file(self) -> bool:
        """Take the file lock; False if another process held it for ``_GIVE_UP_SECONDS``."""
        if self._fd is None:
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + _GIVE_UP_SECONDS
        pause = 0.00005
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _MAX_POLL_SECONDS)
