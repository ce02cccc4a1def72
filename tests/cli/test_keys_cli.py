"""The real `triage keys` commands: the secret alone on the last line; list; revoke."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service import db
from service.keys.service import verify_secret

TRIAGE = str(Path(sys.executable).parent / "triage")


def _run(args: list[str], url: str) -> subprocess.CompletedProcess:
    env = {"TRIAGE_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "TRIAGE_LOG_LEVEL": "WARNING"}
    return subprocess.run([TRIAGE, *args], env=env, capture_output=True, text=True, timeout=60)


def test_create_list_revoke(sqlite_url):
    created = _run(["keys", "create", "--role", "cad", "--name", "CAD east"], sqlite_url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("trk_") and " " not in secret
    with db.session_scope(url=sqlite_url) as session:
        principal = verify_secret(session, secret)
    assert principal is not None and principal.role == "cad"

    listed = _run(["keys", "list"], sqlite_url)
    assert principal.key_id in listed.stdout and "CAD east" in listed.stdout
    assert secret not in listed.stdout

    assert _run(["keys", "revoke", principal.key_id], sqlite_url).returncode == 0
    db.dispose_engines()
    with db.session_scope(url=sqlite_url) as session:
        assert verify_secret(session, secret) is None
    assert "revoked" in _run(["keys", "list"], sqlite_url).stdout
    db.dispose_engines()


def test_unknown_role_fails_clearly(sqlite_url):
    result = _run(["keys", "create", "--role", "root", "--name", "x"], sqlite_url)
    assert result.returncode != 0
    assert "unknown role" in result.stderr


def test_every_command_has_help():
    for args in (["--help"], ["serve", "--help"], ["keys", "create", "--help"], ["db", "--help"]):
        result = subprocess.run([TRIAGE, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "Usage" in result.stdout, args


def test_empty_lists_say_so_on_stderr_and_leave_stdout_empty(sqlite_url):
    """`keys list`, `policy history` and `codes list` on a new database: a hint, not silence
    (scripts reading stdout still get no rows)."""
    hints = {
        ("keys", "list"): "no keys yet",
        ("policy", "history"): "no policy activated yet",
        ("codes", "list"): "no code table stored",
    }
    for command, hint in hints.items():
        done = _run(list(command), sqlite_url)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "" and hint in done.stderr, (command, done.stdout, done.stderr)
