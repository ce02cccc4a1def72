"""Evaluating rule conditions against one call, with a human-readable account of why.

Pure: nothing here reads files, the clock or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from service.policy.document import Condition
from service.policy.phrases import PhraseMatcher, inline_key, list_key


@dataclass(frozen=True)
class TagState:
    """What the policy sees of one tag."""

    probability: float
    present: bool
    uncertain: bool

    @property
    def possible(self) -> bool:
        """Present, or uncertain enough that it must be treated as possibly present."""
        return self.present or self.uncertain


@dataclass
class CallFacts:
    """Everything a condition may look at, plus a per-call cache of phrase matches."""

    tags: Mapping[str, TagState]
    call_type: str | None
    narrative: str
    matchers: Mapping[str, PhraseMatcher]
    phrase_lists: Mapping[str, list[str]]
    _hits: dict[str, str | None] = field(default_factory=dict)
    _lowered: list[str] = field(default_factory=list)

    def tag(self, name: str) -> TagState:
        """The state of ``name``; a tag the model did not report counts as absent."""
        return self.tags.get(name) or TagState(0.0, False, False)

    def first_phrase(self, key: str, phrases: list[str]) -> str | None:
        """The first of ``phrases`` found in the note (cached per call under ``key``)."""
        if key not in self._hits:
            if not self._lowered:
                self._lowered.append(self.narrative.lower())
            matcher = self.matchers.get(key) or PhraseMatcher(phrases)
            self._hits[key] = matcher.first(self._lowered[0])
        return self._hits[key]

    def with_present(self, forced: frozenset[str]) -> CallFacts:
        """A copy where the ``forced`` tags count as present (and routine as absent)."""
        tags = dict(self.tags)
        for name in forced:
            state = self.tag(name)
            tags[name] = TagState(state.probability, True, state.uncertain)
        if forced - {"routine"}:
            state = self.tag("routine")
            tags["routine"] = TagState(state.probability, False, state.uncertain)
        return CallFacts(
            tags,
            self.call_type,
            self.narrative,
            self.matchers,
            self.phrase_lists,
            self._hits,
            self._lowered,
        )


def _p(state: TagState) -> str:
    return f"p={state.probability:.2f}"


def _tag_checks(cond: Condition, facts: CallFacts) -> list[str] | None:
    reasons: list[str] = []
    for name in cond.present or []:
        state = facts.tag(name)
        if not state.present:
            return None
        reasons.append(f"{name} present ({_p(state)})")
    for name in cond.absent or []:
        state = facts.tag(name)
        if state.present:
            return None
        reasons.append(f"{name} absent ({_p(state)})")
    for name in cond.possible or []:
        state = facts.tag(name)
        if not state.possible:
            return None
        kind = "present" if state.present else "possible, uncertain"
        reasons.append(f"{name} {kind} ({_p(state)})")
    for name in cond.uncertain or []:
        state = facts.tag(name)
        if not state.uncertain:
            return None
        reasons.append(f"{name} uncertain ({_p(state)})")
    for name, threshold in (cond.probability or {}).items():
        state = facts.tag(name)
        if not threshold.contains(state.probability):
            return None
        reasons.append(f"{name} {_p(state)} {threshold.describe()}")
    return reasons


def _call_type_check(cond: Condition, facts: CallFacts) -> list[str] | None:
    if cond.call_type_in is None:
        return []
    if facts.call_type is None:  # (no call type matches any list: the set is not built)
        return None
    wanted = {code.strip().upper() for code in cond.call_type_in}
    if facts.call_type.strip().upper() not in wanted:
        return None
    return [f"call type {facts.call_type.strip().upper()} is listed"]


def _note_checks(cond: Condition, facts: CallFacts) -> list[str] | None:
    reasons: list[str] = []
    if cond.note_contains_any is not None:
        phrases = cond.note_contains_any
        hit = facts.first_phrase(inline_key(phrases), phrases)
        if hit is None:
            return None
        reasons.append(f"note mentions '{hit}'")
    if cond.note_mentions is not None:
        for list_name in cond.note_mentions:
            phrases = facts.phrase_lists.get(list_name, [])
            hit = facts.first_phrase(list_key(list_name), phrases)
            if hit is not None:
                reasons.append(f"note mentions {list_name}: '{hit}'")
                break
        else:
            return None
    return reasons


def _combinator_checks(cond: Condition, facts: CallFacts) -> list[str] | None:
    reasons: list[str] = []
    for part in cond.all_of or []:
        found = evaluate(part, facts)
        if found is None:
            return None
        reasons.extend(found)
    if cond.any_of is not None:
        for part in cond.any_of:
            found = evaluate(part, facts)
            if found is not None:
                reasons.extend(found)
                break
        else:
            return None
    if cond.not_ is not None:
        if evaluate(cond.not_, facts) is not None:
            return None
        reasons.append(f"not ({describe(cond.not_)})")
    return reasons


def evaluate(cond: Condition, facts: CallFacts) -> list[str] | None:
    """Return why ``cond`` holds for this call (one line per check), or None if it does not."""
    reasons = _tag_checks(cond, facts)  # (a new list: the other checks' lines follow it)
    if reasons is None:
        return None
    # The other checks only when the condition has their fields (without them each gives no
    # lines): decide evaluates dozens of conditions per call.
    if cond.call_type_in is not None:
        found = _call_type_check(cond, facts)
        if found is None:
            return None
        reasons.extend(found)
    if cond.note_contains_any is not None or cond.note_mentions is not None:
        found = _note_checks(cond, facts)
        if found is None:
            return None
        reasons.extend(found)
    if cond.all_of or cond.any_of is not None or cond.not_ is not None:
        found = _combinator_checks(cond, facts)
        if found is None:
            return None
        reasons.extend(found)
    return reasons


def _short(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return f"[{shown}{', …' if len(items) > limit else ''}]"


def _describe_tags(cond: Condition) -> list[str]:
    parts = [f"{t} present" for t in cond.present or []]
    parts += [f"{t} absent" for t in cond.absent or []]
    parts += [f"{t} possible" for t in cond.possible or []]
    parts += [f"{t} uncertain" for t in cond.uncertain or []]
    parts += [f"{t} p {th.describe()}" for t, th in (cond.probability or {}).items()]
    return parts


def describe(cond: Condition) -> str:
    """What ``cond`` checks, in words, independent of any call (for ``not`` and the docs)."""
    parts = _describe_tags(cond)
    if cond.call_type_in is not None:
        parts.append(f"call type in {_short([c.upper() for c in cond.call_type_in])}")
    if cond.note_contains_any is not None:
        parts.append(f"note mentions any of {_short(cond.note_contains_any)}")
    if cond.note_mentions is not None:
        parts.append("note mentions " + " or ".join(cond.note_mentions))
    parts += [f"({describe(part)})" for part in cond.all_of or []]
    if cond.any_of is not None:
        parts.append("any of (" + "; ".join(describe(p) for p in cond.any_of) + ")")
    if cond.not_ is not None:
        parts.append(f"not ({describe(cond.not_)})")
    return " and ".join(parts) if parts else "always"
