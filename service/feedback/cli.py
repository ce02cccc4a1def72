"""``triage data export``: corrected and decided calls as a labeled training file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from service import db
from service.feedback.export import FORMATS, ExportOptions, labeled_rows, write_export


def _counted(rows: Iterator[dict[str, Any]], counts: Counter[str]) -> Iterator[dict[str, Any]]:
    for row in rows:
        counts[row["label_source"]] += 1
        yield row


def _format_of(out: Path, fmt: str | None) -> str:
    suffix = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
    inferred = suffix.get(out.suffix.lower())
    chosen = fmt or inferred
    if chosen not in FORMATS:
        raise typer.BadParameter("give --format jsonl, csv or parquet (or a file with that suffix)")
    if inferred and inferred != chosen:
        raise typer.BadParameter(f"--format {chosen} does not match the file name {out.name}")
    return chosen


def export(
    out: Annotated[Path, typer.Option("--out", help="The file to write.", dir_okay=False)],
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Only calls received from this UTC date/time on.",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl, csv or parquet (default: from the file name)."),
    ] = None,
    no_redact: Annotated[
        bool, typer.Option("--no-redact", help="Keep phone numbers and e-mail addresses.")
    ] = False,
    include_overridden: Annotated[
        bool,
        typer.Option(help="Also export overridden, uncorrected calls (flagged in label_source)."),
    ] = False,
) -> None:
    """Write corrected and accepted calls as a labeled dataset the trainer reads.

    The label is the latest analyst correction, else the stored tags of a call the dispatcher
    accepted; purged narratives are never exported; contact details are redacted by default.
    """
    chosen = _format_of(out, fmt)
    options = ExportOptions(
        since=since.replace(tzinfo=UTC) if since else None,
        include_overridden=include_overridden,
        redact=not no_redact,
    )
    db.upgrade_schema()
    counts: Counter[str] = Counter()
    with db.session_scope() as session:
        total = write_export(_counted(labeled_rows(session, options), counts), out, chosen)
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to export"
    redaction = "kept" if no_redact else "redacted"
    typer.echo(f"exported {total} labeled calls to {out} ({detail}); contact details {redaction}")
