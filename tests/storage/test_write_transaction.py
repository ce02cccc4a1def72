"""write_transaction: group commit on SQLite keeps each caller's outcome its own."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import db
from service.models import ApiKey


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
