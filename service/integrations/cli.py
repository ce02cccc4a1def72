"""``triage codes``: load, list and show the agency's call-type and 10-code tables."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

from service import db

codes_app = typer.Typer(
    help="Agency call-type and 10-code tables (CSV: code,meaning,category,apco_type).",
    no_args_is_help=True,
)


@codes_app.command("load")
def codes_load(
    file: Annotated[Path, typer.Argument(help="CSV with header code,meaning,category,apco_type.")],
    by: Annotated[str, typer.Option(help="Who loads it (kept with the version).")] = "cli",
) -> None:
    """Store a table as the next version; every serving process applies it within seconds."""
    from service.integrations.codes import CodeTableError, load_file_into_db

    db.upgrade_schema()
    try:
        table, created = load_file_into_db(file, loaded_by=by)
    except CodeTableError as exc:
        typer.echo(f"not loaded: {exc}", err=True)
        raise typer.Exit(2) from exc
    if created:
        typer.echo(f"loaded code table version {table.version} ({len(table.entries)} codes)")
    else:
        typer.echo(f"unchanged: version {table.version} already has this content")


@codes_app.command("list")
def codes_list() -> None:
    """Every stored version, newest first (the first is active)."""
    from sqlalchemy import select

    from service.models import CodeTable

    db.upgrade_schema()
    with db.session_scope() as session:
        rows = session.scalars(select(CodeTable).order_by(CodeTable.version.desc())).all()
        if not rows:
            typer.echo("no code table stored (load one with: triage codes load FILE)", err=True)
        for index, table in enumerate(rows):
            state = "active" if index == 0 else "old"
            typer.echo(
                f"{table.version}\t{state}\t{table.created_at:%Y-%m-%d %H:%M}\t"
                f"{len(table.entries)} codes\t{table.loaded_by or '-'}\t{table.source}"
            )


@codes_app.command("show")
def codes_show(
    version: Annotated[int | None, typer.Option(help="A stored version (default: active).")] = None,
) -> None:
    """Print a stored table as CSV (the active one by default)."""
    from service.integrations.codes import HEADER, active_table, entries_of
    from service.models import CodeTable

    db.upgrade_schema()
    with db.session_scope() as session:
        table = session.get(CodeTable, version) if version else active_table(session)
        if table is None:
            typer.echo("no code table stored", err=True)
            raise typer.Exit(1)
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(HEADER)
        for entry in entries_of(table):
            writer.writerow([entry.code, entry.meaning, entry.category, entry.apco_type or ""])
