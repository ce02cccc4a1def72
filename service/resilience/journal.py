"""A durable, append-only local journal: one JSON record per line, fsync'd before answering.

Each process writes its own *segment* file and holds an exclusive ``flock`` on it while it
writes. A segment whose lock can be taken is therefore closed: sealed by its writer, or
orphaned by a process that died (the kernel drops a dead process's locks). The replayer
claims a closed segment with that same lock, inserts its rows, and deletes it only after
they are committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEGMENT_GLOB = "seg-*.jsonl"


@dataclass
class SegmentContents:
    """The records of a segment; ``corrupt_lines`` counts unreadable lines before the end."""

    records: list[dict[str, Any]]
    corrupt_lines: int = 0


def _fsync_directory(directory: Path) -> None:
    """Make a created or removed file name durable, not only the file's contents."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """This process's writer into ``directory``; thread-safe."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and fsync it; when this returns the record survives a crash."""
        line = (json.dumps(record, separators=(",", ":"), ensure_ascii=True) + "\n").encode()
        with self._lock:
            fd = self._open_segment()
            try:
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            except OSError:
                # A half-written line must end its segment: later records go to a new file,
                # and the reader drops the unfinished last line (never acknowledged).
                self._close()
                raise

    def seal(self) -> Path | None:
        """Close the active segment (releasing its lock) so it can be replayed."""
        with self._lock:
            path = self._path
            self._close()
            return path

    def size_bytes(self) -> int:
        """Bytes held by every segment in the directory (all processes', not yet replayed)."""
        total = 0
        for path in self.segments():
            with contextlib.suppress(FileNotFoundError):  # replayed and deleted meanwhile
                total += path.stat().st_size
        return total

    def segments(self) -> list[Path]:
        """Every segment in the directory, oldest first (names start with the creation time)."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(SEGMENT_GLOB))

    @property
    def active_path(self) -> Path | None:
        """The segment this process is writing, if any."""
        return self._path

    def _open_segment(self) -> int:
        if self._fd is not None:
            return self._fd
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"seg-{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.jsonl"
        path = self.directory / name
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
        fd = os.open(path, flags, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _fsync_directory(self.directory)
        self._fd, self._path = fd, path
        return fd

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._path = None, None


@contextlib.contextmanager
def claim_segment(path: Path) -> Iterator[bool]:
    """Hold ``path``'s lock for the block; yields False when a live writer or replayer has it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield path.exists()
    finally:
        os.close(fd)


def read_segment(path: Path) -> SegmentContents:
    """Parse a segment. A last line without its newline was never acknowledged: dropped."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete = lines[:-1]  # the text after the last newline is an unfinished write
    contents = SegmentContents(records=[])
    for raw in complete:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            contents.corrupt_lines += 1
            continue
        if isinstance(record, dict):
            contents.records.append(record)
        else:
            contents.corrupt_lines += 1
    return contents


def remove_segment(path: Path) -> None:
    """Delete a replayed segment durably."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    _fsync_directory(path.parent)


def quarantine_segment(path: Path) -> Path:
    """Keep a segment with unreadable lines aside for a human, out of the replay loop."""
    target = path.with_suffix(".corrupt")
    path.rename(target)
    _fsync_directory(path.parent)
    return target


_journals: dict[Path, Journal] = {}
_journals_lock = threading.Lock()


def get_journal(directory: Path) -> Journal:
    """The process-wide journal writer for ``directory``."""
    key = Path(directory).resolve()
    with _journals_lock:
        if key not in _journals:
            _journals[key] = Journal(key)
        return _journals[key]
