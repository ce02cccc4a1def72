"""Alembic is the only way the schema is made: one head, models in sync, safe concurrent start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from service import db
from service.models import Base

ROOT = Path(__file__).resolve().parents[2]


def test_single_migration_head():
    config = Config(str(ROOT / "service" / "alembic.ini"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_migrations_match_the_models(database_url):
    db.upgrade_schema(database_url)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    db.dispose_engines()
    assert diff == [], diff


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url):
    db.upgrade_schema(sqlite_url)
    with db.get_engine(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose_engines()


def test_several_processes_upgrading_at_once_is_safe(database_url):
    code = "import sys; from service import db; db.upgrade_schema(sys.argv[1])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    engine = create_engine(database_url)
    assert "recommendations" in inspect(engine).get_table_names()
    engine.dispose()


def test_schema_heads_read_from_files_are_alembics():
    config = Config(str(ROOT / "service" / "alembic.ini"))
    assert db.script_heads() == frozenset(ScriptDirectory.from_config(config).get_heads())


def test_upgrade_skips_alembic_only_when_the_schema_is_at_head(database_url):
    from sqlalchemy import text

    engine = db.get_engine(database_url)
    assert not db.schema_is_current(engine)  # empty database
    db.upgrade_schema(database_url)
    assert db.schema_is_current(engine)
    (head,) = db.script_heads() or ()
    with engine.begin() as conn:  # as if the last two migrations had not run yet
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        conn.execute(text("DROP TABLE policy_versions"))
        for column in ("previous_secret", "previous_secret_until"):
            conn.execute(text(f"ALTER TABLE webhook_endpoints DROP COLUMN {column}"))
    assert not db.schema_is_current(engine)
    db.upgrade_schema(database_url)  # the full Alembic path runs the missing migrations
    assert db.schema_is_current(engine)
    with engine.connect() as conn:
        assert inspect(conn).has_table("policy_versions")
        columns = {c["name"] for c in inspect(conn).get_columns("webhook_endpoints")}
        assert {"previous_secret", "previous_secret_until"} <= columns
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    db.dispose_engines()
