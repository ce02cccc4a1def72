"""write_transaction: group commit on SQLite keeps each caller's outcome its own."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import db
from service.models import ApiKey
from service.writelock import SqliteWriteLock

ROOT = Path(__file__).resolve().parents[2]


def _add_key(session: Session, key_id: str) -> str:
    session.add(ApiKey(id=key_id, name="t", role="cad", secret_hash="0" * 64))
    session.flush()
    return key_id


def _count(url: str) -> int:
    with db.session_scope(url=url) as session:
        return session.scalar(select(func.count()).select_from(ApiKey)) or 0


@pytest.fixture
def url(configured: str) -> str:
    return configured


def test_concurrent_writers_are_all_committed_and_answered(url: str) -> None:
    start = threading.Barrier(16)

    def write(i: int) -> str:
        start.wait()
        return db.write_transaction(lambda s: _add_key(s, f"k{i:02d}"), url=url)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(write, range(16)))
    assert results == [f"k{i:02d}" for i in range(16)]
    assert _count(url) == 16


def test_a_failing_writer_fails_alone(url: str) -> None:
    db.write_transaction(lambda s: _add_key(s, "taken"), url=url)
    start = threading.Barrier(8)

    def write(i: int) -> str:
        start.wait()
        key_id = "taken" if i == 3 else f"new{i}"
        return db.write_transaction(lambda s: _add_key(s, key_id), url=url)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(write, i) for i in range(8)]
    for i, future in enumerate(futures):
        if i == 3:
            assert isinstance(future.exception(), IntegrityError)
        else:
            assert future.result() == f"new{i}"
    assert _count(url) == 8  # "taken" once, seven new keys


def test_an_exception_in_the_work_rolls_it_back(url: str) -> None:
    def broken(session: Session) -> None:
        _add_key(session, "half")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        db.write_transaction(broken, url=url)
    assert _count(url) == 0


_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("busy")
"""


def _probe(path: str) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE, path], capture_output=True, text=True)
    return out.stdout.strip()


def test_the_sqlite_write_lock_excludes_other_processes(tmp_path: Path) -> None:
    lock = SqliteWriteLock(str(tmp_path / "t.db"))
    with lock:
        with lock:  # reentrant in the holding thread
            assert _probe(str(tmp_path / "t.db.write.lock")) == "busy"
        assert _probe(str(tmp_path / "t.db.write.lock")) == "busy"
    assert _probe(str(tmp_path / "t.db.write.lock")) == "free"


_WRITER = """
import sys
from concurrent.futures import ThreadPoolExecutor
from service import db
from service.models import ApiKey

def add(i):
    def work(session):
        session.add(ApiKey(id=f"{sys.argv[2]}-{i}", name="t", role="cad", secret_hash="0" * 64))
        session.flush()
    db.write_transaction(work, url=sys.argv[1])

with ThreadPoolExecutor(4) as pool:
    list(pool.map(add, range(40)))
"""


def test_two_processes_writing_at_once_store_everything(sqlite_url: str) -> None:
    db.upgrade_schema(sqlite_url)
    db.dispose_engines()
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, sqlite_url, name], cwd=ROOT)
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert _count(sqlite_url) == 80
