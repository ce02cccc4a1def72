"""Replaying stored calls through a candidate policy, to size a program before it launches.

Each call's latest stored recommendation is re-decided from what was stored with it (tag
probabilities, present and uncertain flags, call type, and the note unless it was purged) and
compared with what was recommended then. Only the plot needs matplotlib, imported on use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from service.models import Recommendation
from service.policy.conditions import TagState
from service.policy.engine import decide
from service.policy.loader import Policy


@dataclass(frozen=True)
class StoredCall:
    """What a stored recommendation keeps of one call."""

    created_at: datetime
    tags: Mapping[str, TagState]
    call_type: str | None
    narrative: str | None
    response_mode: str
    backup_level: int
    needs_review: bool
    words: tuple[int, int] | None = None  # (recognized, content), as the classifier counted


@dataclass(frozen=True)
class _Prediction:
    tags: Mapping[str, TagState]
    words: tuple[int, int] | None = None


@dataclass
class Simulation:
    """Counts comparing the recommendations as made with the candidate's."""

    candidate_version: str
    calls: int = 0
    purged_notes: int = 0
    days: set[date] = field(default_factory=set)
    modes: Counter[tuple[str, str]] = field(default_factory=Counter)
    backups: Counter[tuple[int, int]] = field(default_factory=Counter)
    review_before: int = 0
    review_after: int = 0

    @property
    def day_count(self) -> int:
        """Days spanned by the replayed calls (first to last, inclusive)."""
        if not self.days:
            return 0
        return (max(self.days) - min(self.days)).days + 1

    def per_day(self, column: int) -> dict[str, float]:
        """Calls per day by mode: column 0 as recommended, 1 under the candidate."""
        totals: Counter[str] = Counter()
        for pair, count in self.modes.items():
            totals[pair[column]] += count
        days = self.day_count or 1
        return {mode: count / days for mode, count in totals.items()}

    def mode_names(self, policy_modes: Iterable[str]) -> list[str]:
        """Candidate's modes in file order, then any other mode seen in the stored calls."""
        names = list(policy_modes)
        seen = {m for pair in self.modes for m in pair}
        return names + sorted(seen - set(names))


def _tag_states(stored: Mapping[str, Any]) -> dict[str, TagState]:
    return {
        name: TagState(
            float(value.get("probability", 0.0)),
            bool(value.get("present", False)),
            bool(value.get("uncertain", False)),
        )
        for name, value in stored.items()
        if isinstance(value, Mapping)
    }


def stored_calls(session: Session, *, since: datetime | None = None) -> Iterator[StoredCall]:
    """The latest recommendation of each call (optionally created since ``since``)."""
    latest = (
        select(Recommendation.call_id, func.max(Recommendation.call_version).label("version"))
        .group_by(Recommendation.call_id)
        .subquery()
    )
    query = select(Recommendation).join(
        latest,
        and_(
            Recommendation.call_id == latest.c.call_id,
            Recommendation.call_version == latest.c.version,
        ),
    )
    if since is not None:
        query = query.where(Recommendation.created_at >= since)
    for row in session.scalars(query.order_by(Recommendation.created_at)).yield_per(1000):
        yield StoredCall(
            created_at=row.created_at,
            tags=_tag_states(row.tags or {}),
            call_type=row.call_type,
            narrative=row.narrative,
            response_mode=row.response_mode,
            backup_level=row.backup_level,
            needs_review=row.needs_review,
            words=_stored_words(row.explanation),
        )


def _stored_words(explanation: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """The classifier's word counts kept in a stored explanation (None for older records)."""
    words = (explanation or {}).get("words")
    if not isinstance(words, Mapping):
        return None
    try:
        return int(words["recognized"]), int(words["content"])
    except (KeyError, TypeError, ValueError):
        return None


def simulate(policy: Policy, calls: Iterable[StoredCall]) -> Simulation:
    """Re-decide every call under ``policy`` and count the shifts."""
    result = Simulation(candidate_version=policy.version)
    for call in calls:
        decision = decide(
            policy,
            _Prediction(call.tags, call.words),
            call_type=call.call_type,
            narrative=call.narrative or "",
        )
        result.calls += 1
        result.purged_notes += call.narrative is None
        result.days.add(call.created_at.date())
        result.modes[(call.response_mode, decision.response_mode)] += 1
        result.backups[(call.backup_level, decision.backup_level)] += 1
        result.review_before += call.needs_review
        result.review_after += decision.needs_review
    return result
