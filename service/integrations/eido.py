"""NENA EIDO (NENA-STA-021.1a) incident documents -> a triage request.

Which EIDO fields are read (documented for CAD vendors in docs/integration.md):

- **call id**: ``incidentComponent.incidentTrackingIdentifier`` when the CAD sends it, else
  ``incidentComponent.$id`` (the schema's required, globally unique incident id), else
  ``incidentComponent.internalIncidentId``, else the document's own ``$id``.
- **call type**: ``incidentComponent.incidentTypeInternalCode`` (the agency's own code, which
  the agency code table maps), else ``incidentTypeCommonRegistryText``.
- **narrative**: every ``notesComponent[*].notesActionComments`` (HTML5) as plain text, joined
  with newlines in timestamp order when every note has a timestamp, else in document order.
- **received_at**: the earliest ``callComponent[*].callStartTimestamp``, when given.

Known variations are accepted: ``lastUpdateTimestamp`` as well as ``lastUpdateTimeStamp``, and
``incidentComponent`` as an object (the schema) or a one-element array (older samples).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from pydantic import ValidationError

from service.errors import ServiceError
from service.triage.schemas import TriageRequest

TIMESTAMP_KEYS = ("lastUpdateTimeStamp", "lastUpdateTimestamp")
CALL_ID_KEYS = ("incidentTrackingIdentifier", "$id", "internalIncidentId")
CALL_TYPE_KEYS = ("incidentTypeInternalCode", "incidentTypeCommonRegistryText")
_SKIPPED_TAGS = {"script", "style", "template", "head", "title", "noscript"}
_BLOCK_TAGS = {
    "br", "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "blockquote", "section", "article", "hr", "dd", "dt",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment; never fetches or runs anything."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities (&amp; &#39; ...) are unescaped
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML5 fragment: tags dropped, entities unescaped, blank lines removed."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class EidoCall:
    """What the service takes from an EIDO, and which EIDO field each value came from."""

    request: TriageRequest
    call_id_field: str
    call_type_field: str | None
    notes_used: int


def _invalid(message: str, fields: list[tuple[str, str]]) -> ServiceError:
    return ServiceError(
        422,
        "validation_error",
        message,
        fields=[{"field": field, "message": text} for field, text in fields],
    )


def _parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string; None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _timestamp(component: dict[str, Any]) -> datetime | None:
    for key in TIMESTAMP_KEYS:
        parsed = _parse_time(component.get(key))
        if parsed is not None:
            return parsed
    return None


def _incident_component(document: dict[str, Any]) -> dict[str, Any] | None:
    value = document.get("incidentComponent")
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, dict)), None)
    return value if isinstance(value, dict) and value else None


def _notes_components(document: dict[str, Any]) -> list[dict[str, Any]]:
    value = document.get("notesComponent")
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _first_text(component: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, str] | None:
    for key in keys:
        value = component.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return key, str(value).strip()
    return None


def _narrative(notes: list[dict[str, Any]]) -> tuple[str, int]:
    """The joined note text and how many notes had text; 422 when a note is malformed."""
    indexed = list(enumerate(notes))
    stamps = [_timestamp(note) for _, note in indexed]
    if all(stamp is not None for stamp in stamps):
        order = sorted(range(len(indexed)), key=lambda i: stamps[i])  # type: ignore[arg-type, return-value]
        indexed = [indexed[i] for i in order]
    texts = []
    for position, note in indexed:
        comments = note.get("notesActionComments")
        if comments is None:
            continue
        if not isinstance(comments, str):
            raise _invalid(
                "notesActionComments must be a string",
                [(f"notesComponent[{position}].notesActionComments", "must be an HTML5 string")],
            )
        text = html_to_text(comments)
        if text:
            texts.append(text)
    return "\n".join(texts), len(texts)


def _received_at(document: dict[str, Any]) -> datetime | None:
    calls = document.get("callComponent")
    if isinstance(calls, dict):
        calls = [calls]
    if not isinstance(calls, list):
        return None
    starts = [_parse_time(c.get("callStartTimestamp")) for c in calls if isinstance(c, dict)]
    known = [start for start in starts if start is not None]
    return min(known) if known else None


def _call_id(document: dict[str, Any], incident: dict[str, Any]) -> tuple[str, str] | None:
    found = _first_text(incident, CALL_ID_KEYS)
    if found is not None:
        return f"incidentComponent.{found[0]}", found[1]
    top = _first_text(document, ("$id",))
    return ("$id", top[1]) if top else None


def _check_present(document: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The incident component and the notes, or 422 naming every missing part."""
    if not isinstance(document, dict):
        raise _invalid("an EIDO document is a JSON object", [("body", "expected a JSON object")])
    incident = _incident_component(document)
    notes = _notes_components(document)
    missing = []
    if incident is None:
        missing.append(("incidentComponent", "missing: the incident (its id and type) is needed"))
    if not notes:
        missing.append(("notesComponent", "missing: the call-taker's notes are needed to triage"))
    if missing:
        names = ", ".join(field for field, _ in missing)
        raise _invalid(f"the EIDO document has no {names}; nothing to triage", missing)
    assert incident is not None
    return incident, notes


def _build_request(values: dict[str, Any], sources: dict[str, str]) -> TriageRequest:
    """Validate like /v1/triage, but name the EIDO field that carried each bad value."""
    try:
        return TriageRequest(**values)
    except ValidationError as exc:
        fields = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "body"
            fields.append((sources.get(name, name), error["msg"]))
        names = ", ".join(sorted({field for field, _ in fields}))
        raise _invalid(f"invalid EIDO values: {names}", fields) from exc


def parse_eido(document: Any) -> EidoCall:
    """Read the call id, call type, narrative and call start from an EIDO document.

    Raises ServiceError(422) naming the EIDO field(s) that are missing or unusable.
    """
    incident, notes = _check_present(document)
    call_id = _call_id(document, incident)
    narrative, used = _narrative(notes)
    problems = []
    if call_id is None:
        problems.append(("incidentComponent.$id", "missing: no incident identifier found"))
    if not narrative:
        problems.append(("notesComponent.notesActionComments", "no note has any text"))
    if problems:
        raise _invalid("the EIDO document cannot be triaged", problems)
    assert call_id is not None
    call_type = _first_text(incident, CALL_TYPE_KEYS)
    values = {
        "call_id": call_id[1],
        "narrative": narrative,
        "call_type": call_type[1] if call_type else None,
        "received_at": _received_at(document),
    }
    sources = {
        "call_id": call_id[0],
        "narrative": "notesComponent.notesActionComments",
        "call_type": f"incidentComponent.{call_type[0]}" if call_type else "call_type",
        "received_at": "callComponent.callStartTimestamp",
    }
    request = _build_request(values, sources)
    return EidoCall(
        request=request,
        call_id_field=call_id[0],
        call_type_field=sources["call_type"] if call_type else None,
        notes_used=used,
    )
