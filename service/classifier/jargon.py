"""Agency-configurable jargon table: CAD codes and abbreviations mapped to plain words.

Codes mean different things in different agencies (10-56 is an intoxicated pedestrian in one and
a suicide attempt in another; see docs/model.md), so the table is configuration. The expansions
are plain words the model was trained on: remapping a code changes what the model reads at
inference time without retraining.

File format (CSV, UTF-8): header ``code,expansion,kind``; ``#`` lines are comments; an empty
expansion drops the phrase. ``kind`` is one of ``KINDS`` and is informational.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

DEFAULT_JARGON_PATH = Path(__file__).with_name("default_jargon.csv")
KINDS = frozenset(
    {
        "mental_health",
        "drugs",
        "weapon",
        "negation",
        "uncertainty",
        "process",
        "demographic",
        "routine",
    }
)


class JargonError(ValueError):
    """A jargon file is malformed; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class JargonEntry:
    """One row of a jargon table."""

    code: str
    expansion: str
    kind: str


def parse_jargon(text: str, source: str = "<jargon>") -> list[JargonEntry]:
    """Parse jargon CSV text; raise ``JargonError`` listing every bad line."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:3]] != ["code", "expansion", "kind"]:
        raise JargonError(f"{source}: the header must be 'code,expansion,kind'")
    entries: list[JargonEntry] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        entry, problem = _parse_row(row, number, source)
        if problem:
            problems.append(problem)
        elif entry is not None:
            entries.append(entry)
    if problems:
        raise JargonError("; ".join(problems))
    return entries


def _parse_row(row: list[str], number: int, source: str) -> tuple[JargonEntry | None, str]:
    """Validate one CSV row; returns the entry or a problem description."""
    if len(row) != 3:
        return None, f"{source}: row {number}: expected 3 columns, found {len(row)}"
    code, expansion, kind = (cell.strip() for cell in row)
    if not code:
        return None, f"{source}: row {number}: column 'code' is empty"
    kind = kind.lower() or "process"
    if kind not in KINDS:
        return None, f"{source}: row {number}: column 'kind' has unknown value {kind!r}"
    return JargonEntry(code.lower(), expansion.lower(), kind), ""


def load_jargon(path: str | Path | None = None) -> list[JargonEntry]:
    """Read a jargon CSV (the packaged default when ``path`` is None)."""
    target = Path(path) if path is not None else DEFAULT_JARGON_PATH
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise JargonError(f"{target}: cannot read jargon file ({exc.strerror})") from exc
    return parse_jargon(text, str(target))


def merge_jargon(base: list[JargonEntry], override: list[JargonEntry]) -> list[JargonEntry]:
    """Agency rows replace base rows with the same code and add new codes."""
    merged = {entry.code: entry for entry in base}
    for entry in override:
        merged[entry.code] = entry
    return list(merged.values())


def jargon_rows(entries: list[JargonEntry]) -> list[list[str]]:
    """Entries as plain ``[code, expansion, kind]`` lists (what the artifact stores)."""
    return [[e.code, e.expansion, e.kind] for e in entries]


def entries_from_rows(rows: list[list[str]]) -> list[JargonEntry]:
    """Inverse of ``jargon_rows``."""
    return [JargonEntry(str(r[0]), str(r[1]), str(r[2])) for r in rows]
