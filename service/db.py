"""Database engine and sessions: SQLite (WAL, foreign keys, durable commits) or PostgreSQL."""

from __future__ import annotations

import ast
import contextlib
import fcntl
import re
import select
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from service.config import PROJECT_ROOT, get_settings
from service.writelock import SqliteWriteLock

_engines: dict[str, Engine] = {}
_factories: dict[tuple[str, bool], tuple[sessionmaker, SqliteWriteLock | None]] = {}
_lock = threading.Lock()
T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    """True for any SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN is off).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # FULL: an acknowledged recommendation survives power loss, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front, so a read-then-write transaction never
    # fails with SQLITE_BUSY half-way; readers use a deferred BEGIN and never block.
    if conn.get_execution_options().get("write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def create_db_engine(url: str) -> Engine:
    """A new engine for ``url`` with the project's connection settings."""
    settings = get_settings()
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Pool as many connections as the thread pool has threads: an overflow connection is
        # closed on return, and reopening one repeats the PRAGMAs on every request.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            hide_parameters=True,  # a failed statement's error never carries a narrative
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        hide_parameters=True,  # a failed statement's error never carries a narrative
        connect_args=_postgres_connect_args(settings.db_connect_timeout_seconds),
    )
    event.listen(engine, "checkout", _checkout_probe(engine))
    return engine


def _checkout_probe(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """A pre-ping that costs a system call instead of a round trip (pool "checkout" event).

    ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: a round trip, and CPU in the
    server, on every request. An idle connection has nothing to read, unless the server ended
    it (a restart, ``pg_terminate_backend``, an idle timeout: the server sends its error and
    closes the socket) or sent an asynchronous message. So: a socket with something to read,
    or one psycopg already knows is broken, gets the real ping, and a connection failing it
    is replaced (``DisconnectionError`` makes the pool discard it and connect again).
    """

    def probe(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
            raise sa_exc.DisconnectionError("connection closed")
        try:
            poller = select.poll()
            poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLPRI)
            quiet = not poller.poll(0)
        except (OSError, ValueError) as exc:
            raise sa_exc.DisconnectionError("connection has no usable socket") from exc
        if quiet:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure: replace the connection
            raise sa_exc.DisconnectionError("connection failed its ping") from exc

    return probe


def _postgres_connect_args(connect_timeout: int) -> dict[str, Any]:
    """Short timeouts so an outage is noticed in seconds and triage falls back to the journal.

    Keepalives and ``tcp_user_timeout`` end a connection whose server vanished mid-query
    (a dropped network rather than a refused connection) instead of waiting for TCP's minutes.
    """
    return {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": connect_timeout * 2000,
    }


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    url = url or get_settings().database_url
    with _lock:
        if url not in _engines:
            _engines[url] = create_db_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection (tests, shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


@contextlib.contextmanager
def session_scope(*, write: bool = False, url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error.

    ``write=True`` takes SQLite's write lock at BEGIN; the commit happens before the
    caller answers anyone, so a stored record is durable before it is announced.
    """
    factory, writer_lock = _session_factory(url or get_settings().database_url, write)
    with writer_lock or contextlib.nullcontext(), factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _session_factory(url: str, write: bool) -> tuple[sessionmaker, SqliteWriteLock | None]:
    """The cached session factory for ``url`` and, for SQLite writers, the writer lock
    (service.writelock: queueing there beats SQLite's sleeping busy handler)."""
    cached = _factories.get((url, write))
    if cached is None:
        engine = get_engine(url)
        bind = engine.execution_options(write=True) if write else engine
        sqlite_writer = write and is_sqlite(url)
        lock = SqliteWriteLock(make_url(url).database) if sqlite_writer else None
        # setdefault is atomic: threads racing here all get the first factory and lock.
        cached = _factories.setdefault(
            (url, write), (sessionmaker(bind=bind, expire_on_commit=False), lock)
        )
    return cached


class _Job:
    """One caller's work in a group commit, and what became of it."""

    __slots__ = ("work", "value", "error", "finished")

    def __init__(self, work: Callable[[Session], Any]) -> None:
        self.work = work
        self.value: Any = None
        self.error: BaseException | None = None
        self.finished = False


class _WriteGroup:
    """Group commit for one SQLite database: concurrent writers share a transaction and a sync.

    With ``synchronous=FULL`` every commit waits for the disk; one at a time, a few hundred
    commits a second is the ceiling. Here a writer queues its work; whoever holds the leader
    lock takes every queued job, runs them in one transaction and commits them together, and
    only then is any of them answered. If a job raises, the batch is rolled back and run again
    with each job in its own SAVEPOINT, so that a failure rolls back only that job.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._queue: list[_Job] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()

    def run(self, work: Callable[[Session], T]) -> T:
        job = _Job(work)
        with self._queue_lock:
            self._queue.append(job)
        with self._leader:
            if not job.finished:  # nobody took it while we waited: lead the next batch
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if job.error is not None:
            raise job.error
        return job.value

    def _commit(self, batch: list[_Job]) -> None:
        if len(batch) > 1 and self._all_together(batch):
            return
        try:
            with session_scope(write=True, url=self.url) as session:
                for job in batch:
                    _run_job(session, job, savepoint=len(batch) > 1)
        except BaseException as exc:  # noqa: BLE001 - nothing of the batch is stored
            for job in batch:
                job.error = job.error or exc
        finally:
            for job in batch:
                job.finished = True

    def _all_together(self, batch: list[_Job]) -> bool:
        """The common case first: every job in one transaction, without a SAVEPOINT each
        (SAVEPOINT and RELEASE cost two statements per job). True when that settled the batch
        (committed, or the commit itself failed: every job gets its error); False when a job
        raised: nothing was stored, and the caller runs the batch again, each job in its own
        SAVEPOINT, so that the failure stays that job's alone. A job may run twice, so it must
        only write through the session (store_recommendation does)."""
        try:
            with session_scope(write=True, url=self.url) as session:
                for job in batch:
                    try:
                        job.value = job.work(session)
                    except Exception as exc:  # noqa: BLE001 - roll back all, retry one by one
                        raise _JobFailedError from exc
        except _JobFailedError:
            for job in batch:
                job.value = None
            return False
        except BaseException as exc:  # noqa: BLE001 - the commit failed: nothing is stored
            for job in batch:
                job.error = exc
        for job in batch:
            job.finished = True
        return True


class _JobFailedError(Exception):
    """A job of an all-together batch raised: the batch is rolled back and run again."""


def _run_job(session: Session, job: _Job, *, savepoint: bool) -> None:
    if not savepoint:
        job.value = job.work(session)
        return
    try:
        with session.begin_nested():
            job.value = job.work(session)
    except Exception as exc:  # noqa: BLE001 - only this job's savepoint is rolled back
        job.error = exc


_groups: dict[str, _WriteGroup] = {}


def write_transaction(work: Callable[[Session], T], *, url: str | None = None) -> T:
    """Run ``work(session)`` in a write transaction; return its result once it is committed.

    On SQLite, concurrent calls of one process are committed together (group commit: one disk
    sync for many writes); each call's exception is raised to that caller alone unless the
    commit itself fails, which fails them all. On PostgreSQL, a transaction per call.
    """
    url = url or get_settings().database_url
    if not is_sqlite(url):
        with session_scope(write=True, url=url) as session:
            return work(session)
    group = _groups.get(url) or _groups.setdefault(url, _WriteGroup(url))
    return group.run(work)


def fetch_one(sql: str, params: tuple[Any, ...], *, url: str | None = None) -> tuple | None:
    """The first row of a read-only query run on a pooled DBAPI connection, outside a
    transaction; ``sql`` uses ``?`` placeholders.

    For the hottest reads (the API key check on every request): no BEGIN and ROLLBACK
    round trips (autocommit) and no SQL compilation or result processing, so only plain
    columns (text, numbers, NULL tests) should be read this way. Driver errors are raised
    wrapped as SQLAlchemy's (``OperationalError`` ...), a broken connection invalidated, as
    ``Connection.execute`` would.
    """
    engine = get_engine(url)
    dialect = engine.dialect
    if dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    postgres = dialect.name != "sqlite"  # SQLite connections are in autocommit already
    try:
        raw = engine.raw_connection()
    except dialect.loaded_dbapi.Error as exc:  # refused, timed out: wrapped as SQLAlchemy's
        raise sa_exc.DBAPIError.instance(
            None, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
        ) from exc
    driver: Any = raw.driver_connection
    cursor = None
    try:
        if postgres:
            driver.autocommit = True
        cursor = raw.cursor()
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return None if row is None else tuple(row)
    except dialect.loaded_dbapi.Error as exc:
        disconnect = dialect.is_disconnect(exc, driver, cursor)
        if disconnect:
            raw.invalidate(exc)
        raise sa_exc.DBAPIError.instance(
            sql, params, exc, dialect.loaded_dbapi.Error,
            hide_parameters=True, connection_invalidated=disconnect, dialect=dialect,
        ) from exc  # fmt: skip
    finally:
        if cursor is not None:
            with contextlib.suppress(Exception):
                cursor.close()
        _return_raw(raw, driver, postgres)


def _return_raw(raw: Any, driver: Any, postgres: bool) -> None:
    """Back to the pool in the mode it came in (never leave a pooled connection in autocommit)."""
    if postgres and raw.is_valid:
        try:
            driver.autocommit = False
        except Exception as exc:  # noqa: BLE001 - a connection in doubt is not reused
            raw.invalidate(exc)
    raw.close()


def ping(url: str | None = None) -> bool:
    """True when the database answers a trivial query."""
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


def upgrade_schema(url: str | None = None) -> None:
    """Create or upgrade the schema with Alembic, safely when several replicas start at once.

    A schema already at the head revision is left alone without loading Alembic (a restart's
    case: one query instead of importing Alembic and running its environment).
    """
    url = url or get_settings().database_url
    engine = get_engine(url)
    if schema_is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "service" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "service" / "migrations"))
    with _migration_lock(url, engine):
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


_REVISION_LINE = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M
)


def script_heads() -> frozenset[str] | None:
    """The head revisions of ``service/migrations/versions``, read from the files' ``revision``
    and ``down_revision`` lines; None if any file is not in that simple form (branch labels,
    dependencies, computed values): then only Alembic can tell."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (PROJECT_ROOT / "service" / "migrations" / "versions").glob("*.py"):
        try:
            found = {k: ast.literal_eval(v) for k, v in _REVISION_LINE.findall(path.read_text())}
        except (OSError, ValueError, SyntaxError):
            return None
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str) or found.get("branch_labels") or found.get("depends_on"):
            return None
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple) and all(isinstance(d, str) for d in down):
            parents.update(down)
        elif down is not None:
            return None
        revisions.add(revision)
    return frozenset(revisions - parents) or None


def schema_is_current(engine: Engine) -> bool:
    """True when the database's Alembic revisions are exactly the scripts' heads. A database
    that cannot be reached raises (as the upgrade itself would)."""
    heads = script_heads()
    if heads is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return frozenset(rows) == heads


@contextlib.contextmanager
def _migration_lock(url: str, engine: Engine) -> Iterator[None]:
    """Serialize migrations: a PostgreSQL advisory lock, or a file lock beside the SQLite file."""
    if is_sqlite(url):
        database = make_url(url).database or ":memory:"
        lock_path = Path(database + ".migrate.lock") if database != ":memory:" else None
        if lock_path is None:
            yield
            return
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(74210311)"))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(74210311)"))
            conn.commit()
