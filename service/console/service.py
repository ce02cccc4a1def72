"""What the console shows: queue rows and the detail of one call.

Pure reads over the stored recommendations and decisions; the routes render them.
Extension point: ``DETAIL_PANELS`` lets another domain (tag corrections, outcomes) add a panel
to the detail pane without touching this module's callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.console.auth import ConsoleUser
from service.console.highlight import Highlighted, cue_map, highlight, phrases_of
from service.models import ApiKey, Decision, Recommendation

TAG_NAMES = ("mental_health", "drugs", "weapon", "routine")
TAG_LABELS = {
    "mental_health": "Mental health",
    "drugs": "Drugs",
    "weapon": "Weapon",
    "routine": "Routine",
}
BACKUP_LABELS = {
    0: "no backup",
    1: "1 backup unit",
    2: "2+ backup units",
    3: "2+ units and a supervisor",
}
QUEUE_LIMIT = 100


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TagChip:
    """One tag of a call as the queue shows it."""

    name: str
    label: str
    probability: float
    present: bool
    uncertain: bool


@dataclass(frozen=True)
class RowView:
    """One queue row: a recommendation with its current decision."""

    id: str
    call_id: str
    call_version: int
    created_at: datetime
    chips: list[TagChip]
    response_mode: str
    backup_level: int
    needs_review: bool
    decision_state: str
    decided_mode: str | None
    decided_backup: int | None
    alert: bool


@dataclass(frozen=True)
class DecisionView:
    """One entry of a call's decision history."""

    id: int
    action: str
    response_mode: str
    backup_level: int
    reason: str | None
    decided_by: str
    created_at: datetime


@dataclass(frozen=True)
class TagDetail:
    """A tag's probability and the phrases behind it."""

    chip: TagChip
    evidence: list[str]
    negated: list[str]
    not_in_text: list[str]


@dataclass(frozen=True)
class DetailView:
    """Everything the detail pane shows about one recommendation."""

    row: RowView
    narrative: Highlighted | None
    call_type: str | None
    received_at: datetime | None
    tags: list[TagDetail]
    rule: str
    conditions: list[str]
    mode_description: str
    review_reasons: list[str]
    guidance: list[str]
    model_version: str
    policy_version: str
    changes: dict[str, Any] | None
    previous_id: str | None
    decisions: list[DecisionView]
    panels: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class DetailPanel:
    """An extra panel in the detail pane: a template and a function giving its context.

    ``context(session, recommendation, user)`` returns None to hide the panel for this call
    or this user (for example, tag corrections only for analysts).
    """

    template: str
    context: Callable[[Session, Recommendation, ConsoleUser], dict[str, Any] | None]


DETAIL_PANELS: list[DetailPanel] = []


def chips_of(row: Recommendation) -> list[TagChip]:
    """The four tags of a recommendation, in a fixed order."""
    chips = []
    for name in TAG_NAMES:
        tag = (row.tags or {}).get(name) or {}
        chips.append(
            TagChip(
                name=name,
                label=TAG_LABELS[name],
                probability=float(tag.get("probability", 0.0)),
                present=bool(tag.get("present", False)),
                uncertain=bool(tag.get("uncertain", False)),
            )
        )
    return chips


def latest_decisions(session: Session, ids: Iterable[str]) -> dict[str, Decision]:
    """The most recent decision on each of the given recommendations."""
    id_list = list(ids)
    if not id_list:
        return {}
    rows = session.scalars(
        select(Decision).where(Decision.recommendation_id.in_(id_list)).order_by(Decision.id)
    )
    return {d.recommendation_id: d for d in rows}


def row_view(row: Recommendation, decision: Decision | None) -> RowView:
    """A queue row for a recommendation and its latest decision."""
    return RowView(
        id=row.id,
        call_id=row.call_id,
        call_version=row.call_version,
        created_at=as_utc(row.created_at),
        chips=chips_of(row),
        response_mode=row.response_mode,
        backup_level=row.backup_level,
        needs_review=row.needs_review,
        decision_state=row.decision_state,
        decided_mode=decision.response_mode if decision else None,
        decided_backup=decision.backup_level if decision else None,
        alert=bool((row.changes or {}).get("alert")),
    )


def row_views(session: Session, rows: list[Recommendation]) -> list[RowView]:
    """Queue rows for several recommendations, in the given order."""
    decisions = latest_decisions(session, (r.id for r in rows))
    return [row_view(r, decisions.get(r.id)) for r in rows]


def queue_rows(session: Session, *, limit: int = QUEUE_LIMIT) -> list[RowView]:
    """The newest recommendations, newest first."""
    rows = list(
        session.scalars(
            select(Recommendation)
            .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())
            .limit(limit)
        )
    )
    return row_views(session, rows)


def decision_views(session: Session, recommendation_id: str) -> list[DecisionView]:
    """A call's decisions, oldest first, with the name of the key that made each."""
    rows = session.execute(
        select(Decision, ApiKey.name)
        .outerjoin(ApiKey, ApiKey.id == Decision.decided_by)
        .where(Decision.recommendation_id == recommendation_id)
        .order_by(Decision.id)
    )
    return [
        DecisionView(
            id=d.id,
            action=d.action,
            response_mode=d.response_mode,
            backup_level=d.backup_level,
            reason=d.reason,
            decided_by=name or d.decided_by or "unknown",
            created_at=as_utc(d.created_at),
        )
        for d, name in rows
    ]


def explained_tags(explanation: dict[str, Any] | None) -> dict[str, Any]:
    """``explanation.tags`` as ``{tag: {evidence, negated, ...}}``."""
    tags = (explanation or {}).get("tags")
    return tags if isinstance(tags, dict) else {}


def tag_details(row: Recommendation, highlighted: Highlighted | None) -> list[TagDetail]:
    """Each tag with its evidence, negated cues and the phrases absent from the text."""
    explained = explained_tags(row.explanation)
    missing = highlighted.not_found if highlighted else {}
    return [
        TagDetail(
            chip=chip,
            evidence=phrases_of(explained.get(chip.name), "evidence"),
            negated=phrases_of(explained.get(chip.name), "negated"),
            not_in_text=missing.get(chip.name, []),
        )
        for chip in chips_of(row)
    ]


def highlighted_narrative(row: Recommendation) -> Highlighted | None:
    """The note with the evidence of each present tag marked (None once purged)."""
    if row.narrative is None:
        return None
    explained = explained_tags(row.explanation)
    present = [t for t in TAG_NAMES if getattr(row, t) and t != "routine"]
    return highlight(
        row.narrative,
        cue_map(explained, "evidence", present),
        cue_map(explained, "negated", TAG_NAMES[:3]),
    )


def detail_view(
    session: Session, row: Recommendation, user: ConsoleUser, modes: dict[str, str]
) -> DetailView:
    """The detail pane of one recommendation."""
    explanation = row.explanation or {}
    decisions = latest_decisions(session, [row.id])
    narrative = highlighted_narrative(row)
    panels = []
    for panel in DETAIL_PANELS:
        context = panel.context(session, row, user)
        if context is not None:
            panels.append((panel.template, context))
    return DetailView(
        row=row_view(row, decisions.get(row.id)),
        narrative=narrative,
        call_type=row.call_type,
        received_at=as_utc(row.received_at) if row.received_at else None,
        tags=tag_details(row, narrative),
        rule=str(explanation.get("rule") or ""),
        conditions=[str(c) for c in explanation.get("conditions") or []],
        mode_description=modes.get(row.response_mode)
        or str(explanation.get("response_mode_description") or ""),
        review_reasons=[str(r) for r in row.review_reasons or []],
        guidance=[str(g) for g in row.guidance or []],
        model_version=row.model_version,
        policy_version=row.policy_version,
        changes=row.changes,
        previous_id=row.previous_id,
        decisions=decision_views(session, row.id),
        panels=panels,
    )
