"""Agency code tables: an agency's call-type and 10-code meanings, loaded from CSV.

The same code means different things in two agencies (10-96 is a mental subject in one, a
routine status in another), so each agency loads its own table:

    code,meaning,category,apco_type
    10-96,mental subject,mental_health,EDP
    MENTAL,mental health crisis,mental_health,EDP
    10-32,person with a weapon,weapon,WEAPON

- ``meaning``: plain words; the classifier's normalization reads a code as its meaning, and
  the agency's rows replace the default jargon expansions of the same codes.
- ``category``: what the code signals (one of ``CATEGORIES``; informational for the classifier).
- ``apco_type`` (optional): the APCO ANS 2.103.1 common incident type (EDP, SUICIDE, OD,
  WEAPON, ...). A call type found in the table is handed to the policy as this type, so the
  policy's ``call_type_in`` conditions, written with common types, work with local codes.

Tables are stored in the database, versioned (``triage codes load FILE``; or
``TRIAGE_CODES_FILE``, loaded at start when its content differs from the active version);
the highest version is active in every process (picked up by the runtime's reloader).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.classifier.jargon import KINDS, JargonEntry
from service.models import CodeTable

if TYPE_CHECKING:
    from service.runtime import Runtime

log = structlog.get_logger("service.integrations.codes")
CATEGORIES = KINDS  # the classifier's jargon kinds: mental_health, drugs, weapon, routine, ...
AGENCY_ATTR = "agency_codes"  # set on a model that reads the agency table
BASE_ATTR = "agency_base_model"  # the same model without it
HEADER = ["code", "meaning", "category", "apco_type"]
_APCO = re.compile(r"^[A-Z0-9][A-Z0-9_./-]{0,31}$")
_MAX_CODE = 64


class CodeTableError(ValueError):
    """A code table is malformed; the message names the source, each line and the problem."""


@dataclass(frozen=True)
class CodeEntry:
    """One row of an agency code table."""

    code: str
    meaning: str
    category: str
    apco_type: str | None = None


@dataclass(frozen=True)
class AgencyCodes:
    """The active table of this process: call-type mapping and jargon overrides."""

    version: int
    entries: tuple[CodeEntry, ...]
    call_types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, version: int, entries: list[CodeEntry]) -> AgencyCodes:
        """Index the entries: codes (upper case) to their common incident type."""
        mapping = {e.code.upper(): e.apco_type for e in entries if e.apco_type}
        return cls(version=version, entries=tuple(entries), call_types=mapping)

    def policy_call_type(self, call_type: str | None) -> str | None:
        """The call type the policy sees: the code's common type when the table names one."""
        if call_type is None:
            return None
        return self.call_types.get(call_type.strip().upper(), call_type)


def _row_problem(row: list[str], number: int, source: str) -> tuple[CodeEntry | None, str]:
    cells = [cell.strip() for cell in row] + [""] * (4 - len(row))
    if len(row) not in (3, 4):
        return None, f"{source}: line {number}: expected 3 or 4 columns, found {len(row)}"
    code, meaning, category, apco = cells[:4]
    if not code or len(code) > _MAX_CODE:
        return None, f"{source}: line {number}: 'code' must have 1-{_MAX_CODE} characters"
    if not meaning:
        return None, f"{source}: line {number}: 'meaning' is empty for code {code!r}"
    category = category.lower().replace(" ", "_").replace("-", "_")
    if category not in CATEGORIES:
        allowed = ", ".join(sorted(CATEGORIES))
        return None, f"{source}: line {number}: unknown category {category!r} ({allowed})"
    apco = apco.upper()
    if apco and not _APCO.match(apco):
        return None, f"{source}: line {number}: 'apco_type' {apco!r} is not an incident code"
    return CodeEntry(code, " ".join(meaning.split()), category, apco or None), ""


def parse_codes(text: str, source: str = "<codes>") -> list[CodeEntry]:
    """Parse a code table CSV; raise ``CodeTableError`` listing every bad line."""
    numbered = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    numbered = [(n, ln) for n, ln in numbered if not ln.lstrip().startswith("#")]
    if not numbered:
        raise CodeTableError(f"{source}: the file is empty")
    rows = list(csv.reader(io.StringIO("\n".join(ln for _, ln in numbered))))
    header = [h.strip().lower() for h in rows[0]]
    if header not in (HEADER, HEADER[:3]):
        raise CodeTableError(f"{source}: the header must be '{','.join(HEADER)}'")
    entries, problems, seen = [], [], set()
    for (number, _line), row in zip(numbered[1:], rows[1:], strict=True):
        entry, problem = _row_problem(row, number, source)
        if entry is not None and entry.code.upper() in seen:
            problem = f"{source}: line {number}: code {entry.code!r} appears twice"
        if problem:
            problems.append(problem)
        elif entry is not None:
            seen.add(entry.code.upper())
            entries.append(entry)
    if problems:
        raise CodeTableError("; ".join(problems))
    if not entries:
        raise CodeTableError(f"{source}: the table has no rows")
    return entries


def read_codes_file(path: str | Path) -> list[CodeEntry]:
    """Read and parse a code table file."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeTableError(f"{target}: cannot read the code table ({exc})") from exc
    return parse_codes(text, str(target))


def _entries_json(entries: list[CodeEntry]) -> list[dict[str, Any]]:
    return [
        {"code": e.code, "meaning": e.meaning, "category": e.category, "apco_type": e.apco_type}
        for e in entries
    ]


def content_hash(entries: list[CodeEntry]) -> str:
    """SHA-256 of the table's canonical JSON (same rows, same hash)."""
    raw = json.dumps(_entries_json(entries), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def active_table(session: Session) -> CodeTable | None:
    """The active (highest) version, or None when no table was ever loaded."""
    return session.scalar(select(CodeTable).order_by(CodeTable.version.desc()).limit(1))


def store_table(
    session: Session, entries: list[CodeEntry], *, source: str, loaded_by: str | None
) -> tuple[CodeTable, bool]:
    """Store ``entries`` as the next version; returns (table, created).

    Loading the content of the active version again creates nothing.
    """
    digest = content_hash(entries)
    current = active_table(session)
    if current is not None and current.content_sha256 == digest:
        return current, False
    version = (session.scalar(select(func.max(CodeTable.version))) or 0) + 1
    table = CodeTable(
        version=version,
        source=source[:500],
        content_sha256=digest,
        entries=_entries_json(entries),
        loaded_by=loaded_by,
    )
    session.add(table)
    session.flush()
    return table, True


def entries_of(table: CodeTable) -> list[CodeEntry]:
    """The rows of a stored table."""
    return [
        CodeEntry(str(e["code"]), str(e["meaning"]), str(e["category"]), e.get("apco_type") or None)
        for e in table.entries
    ]


def agency_codes(table: CodeTable | None) -> AgencyCodes | None:
    """The runtime view of a stored table."""
    if table is None:
        return None
    return AgencyCodes.from_entries(table.version, entries_of(table))


def load_file_into_db(path: Path, *, loaded_by: str) -> tuple[CodeTable, bool]:
    """Store a file's table as a new version unless it is already active (replica-safe)."""
    from service.db import session_scope

    entries = read_codes_file(path)
    for attempt in range(3):
        try:
            with session_scope(write=True) as session:
                return store_table(session, entries, source=str(path), loaded_by=loaded_by)
        except IntegrityError:
            if attempt == 2:  # another replica took the same version number: look again
                raise
    raise AssertionError("unreachable")


# --- the live model and policy read the active table -------------------------------------


def jargon_entries(codes: AgencyCodes) -> list[JargonEntry]:
    """The table as classifier jargon rows: each code reads as its meaning."""
    return [JargonEntry(e.code.lower(), e.meaning.lower(), e.category) for e in codes.entries]


def apply_to_model(model: Any, codes: AgencyCodes | None) -> Any:
    """``model`` reading ``codes`` over its own jargon (rebuilt from the model without codes)."""
    base = getattr(model, BASE_ATTR, model)
    if codes is None:
        return base
    derived = base.with_jargon(jargon_entries(codes))
    setattr(derived, AGENCY_ATTR, codes)
    setattr(derived, BASE_ATTR, base)
    return derived


def policy_call_type(model: Any, call_type: str | None) -> str | None:
    """The call type the policy sees for this snapshot's model: mapped by its agency table."""
    codes: AgencyCodes | None = getattr(model, AGENCY_ATTR, None)
    return codes.policy_call_type(call_type) if codes is not None else call_type


def follow_code_table(runtime: Runtime, session: Session) -> None:
    """Reloader: make the serving model read the active code table (also after a model swap)."""
    model = runtime.snapshot.model
    if model is None:
        return
    version = session.scalar(select(func.max(CodeTable.version)))
    current: AgencyCodes | None = getattr(model, AGENCY_ATTR, None)
    if (current.version if current is not None else None) == version:
        return
    table = session.get(CodeTable, version) if version is not None else None
    runtime.swap(model=apply_to_model(model, agency_codes(table)))
    log.info("code_table_applied", code_table_version=version, model_version=model.version)


def install_reloader() -> None:
    """Run ``follow_code_table`` after every other reloader (so it follows model swaps)."""
    from service.runtime import RELOADERS

    if follow_code_table in RELOADERS:
        RELOADERS.remove(follow_code_table)
    RELOADERS.append(follow_code_table)


def load_configured_file(path: Path | None) -> None:
    """Store ``TRIAGE_CODES_FILE`` as a new version at start-up unless it is already active."""
    if path is None:
        return
    table, created = load_file_into_db(path, loaded_by="TRIAGE_CODES_FILE")
    if created:
        log.info("code_table_loaded", code_table_version=table.version, rows=len(table.entries))
