"""The outage journal: durable lines, crash-safe segments, replay exactly once."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from service import db
from service.models import Recommendation
from service.resilience.journal import Journal, claim_segment, read_segment
from service.resilience.records import record_to_row, row_to_record
from service.resilience.replay import replay_all, replay_segment
from tests.hardening.rows import make_row

ROOT = Path(__file__).resolve().parents[2]


def _count(**where: str) -> int:
    query = select(func.count()).select_from(Recommendation)
    for column, value in where.items():
        query = query.where(getattr(Recommendation, column) == value)
    with db.session_scope() as session:
        return session.scalar(query) or 0


def test_a_record_round_trips_every_column(tmp_path):
    journal = Journal(tmp_path / "j")
    row = make_row(narrative='LINE ONE\nLINE TWO \u00e9\u2603 "quoted"', weapon=True)
    row.created_at = None
    journal.append(row_to_record(row))
    [segment] = journal.segments()
    assert segment.read_bytes().count(b"\n") == 1  # one record, one line
    [record] = read_segment(segment).records
    back = record_to_row(record)
    for column in Recommendation.__table__.columns:
        assert getattr(back, column.key) == getattr(row, column.key), column.key


def test_segment_and_directory_are_private(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.append({"row": 1})
    [segment] = journal.segments()
    assert segment.stat().st_mode & 0o077 == 0
    assert (tmp_path / "j").stat().st_mode & 0o077 == 0


def test_unfinished_last_line_is_dropped_and_a_corrupt_middle_line_is_counted(tmp_path):
    path = tmp_path / "seg-1.jsonl"
    path.write_bytes(b'{"a":1}\n{"broken\n{"b":2}\n{"c":')
    contents = read_segment(path)
    assert contents.records == [{"a": 1}, {"b": 2}]
    assert contents.corrupt_lines == 1


def test_the_live_writers_segment_cannot_be_claimed_until_sealed(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.append({"x": 1})
    [segment] = journal.segments()
    with claim_segment(segment) as claimed:
        assert claimed is False
    journal.seal()
    with claim_segment(segment) as claimed:
        assert claimed is True


WRITER = textwrap.dedent(
    """
    import sys
    from service.resilience.journal import Journal
    journal = Journal(sys.argv[1])
    for i in range(100000):
        journal.append({"n": i, "pad": "x" * 200})
        print(i, flush=True)  # acknowledged only after append (and its fsync) returned
    """
)


def test_kill_9_of_a_writer_loses_no_acknowledged_record_and_frees_the_segment(tmp_path):
    directory = tmp_path / "j"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(directory)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    acknowledged = []
    assert child.stdout is not None
    for line in child.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 200:
            break
    child.kill()  # SIGKILL
    child.wait()
    [segment] = Journal(directory).segments()
    numbers = [r["n"] for r in read_segment(segment).records]
    assert set(acknowledged) <= set(numbers)
    assert numbers == list(range(len(numbers)))  # in order, nothing torn
    with claim_segment(segment) as claimed:  # the dead writer's lock is gone
        assert claimed is True


def test_replay_inserts_each_row_once_even_when_replayed_again(configured, tmp_path):
    journal = Journal(tmp_path / "replay")
    rows = [make_row() for _ in range(30)]
    for row in rows:
        journal.append(row_to_record(row))
    [segment] = [journal.seal()]
    assert segment is not None
    backup = tmp_path / "copy.jsonl"
    shutil.copy(segment, backup)

    assert replay_all(journal) == 30
    assert not segment.exists()
    # A crash after the commit but before the delete: the same segment comes back.
    shutil.copy(backup, segment)
    assert replay_segment(segment) == 0
    assert not segment.exists()
    assert _count() == 30
    for row in rows:
        assert _count(id=row.id) == 1


def test_replay_renumbers_versions_against_the_database(configured, tmp_path):
    first = make_row("C-7", "VERBAL DISPUTE OVER PARKING")
    with db.session_scope(write=True) as session:
        session.add(first)
    journal = Journal(tmp_path / "renumber")
    # Journaled during an outage without knowing version 1: provisionally version 1 too.
    update = make_row("C-7", "VERBAL DISPUTE OVER PARKING\nUPDT: NOW HAS A HANDGUN", weapon=True)
    journal.append(row_to_record(update))
    replay_all(journal)
    with db.session_scope() as session:
        stored = session.get(Recommendation, update.id)
        assert stored is not None
        assert stored.call_version == 2
        assert stored.previous_id == first.id
        assert stored.changes["tags_added"] == ["weapon"]
        assert stored.changes["alert"] is True


def test_replay_keeps_a_row_whose_idempotency_key_was_taken_meanwhile(
    configured, make_key, tmp_path
):
    secret = make_key("cad")
    key_id = secret.split("_")[1]
    online = make_row(api_key_id=key_id, idempotency_key="retry-1")
    with db.session_scope(write=True) as session:
        session.add(online)
    journaled = make_row(api_key_id=key_id, idempotency_key="retry-1")
    journal = Journal(tmp_path / "idem")
    journal.append(row_to_record(journaled))
    assert replay_all(journal) == 1
    with db.session_scope() as session:
        kept = session.get(Recommendation, journaled.id)
        assert kept is not None and kept.idempotency_key is None
        assert session.get(Recommendation, online.id).idempotency_key == "retry-1"


def test_a_segment_with_a_corrupt_line_is_replayed_and_kept_aside(configured, tmp_path):
    journal = Journal(tmp_path / "corrupt")
    good = make_row()
    journal.append(row_to_record(good))
    segment = journal.seal()
    assert segment is not None
    with open(segment, "ab") as handle:
        handle.write(b"{not json}\n")
    assert replay_segment(segment) == 1
    assert _count(id=good.id) == 1
    assert not segment.exists()
    assert segment.with_suffix(".corrupt").exists()


def test_a_full_journal_answers_503_and_acknowledges_nothing(tmp_path, monkeypatch):
    """Past TRIAGE_JOURNAL_MAX_MB an outage answer is a 503 (retry later), not a filled disk:
    nothing is written or acknowledged, and the journal frees up once replayed."""
    import pytest

    from service.config import get_settings
    from service.errors import ServiceError
    from service.resilience.fallback import journal_recommendation

    directory = tmp_path / "journal"
    monkeypatch.setenv("TRIAGE_JOURNAL_DIR", str(directory))
    monkeypatch.setenv("TRIAGE_JOURNAL_MAX_MB", str(1 / 1024))  # 1 KB: under one record
    get_settings.cache_clear()
    try:
        journal_recommendation(make_row())
        journal = Journal(directory)
        size = journal.size_bytes()
        assert size >= 1024  # the first record was written (the journal was empty) and fills it
        with pytest.raises(ServiceError) as refused:
            journal_recommendation(make_row())
        assert refused.value.status == 503 and "journal is full" in str(refused.value)
        assert journal.size_bytes() == size  # the refused record was not written
        assert sum(len(read_segment(p).records) for p in journal.segments()) == 1
    finally:
        get_settings.cache_clear()
