"""``decide``: from a prediction, a call type and a note to a recommended response.

Pure. Uncertainty only ever escalates: a tag the model is unsure about is also tried as
present, the backup level never ends below what that would give, and the call is flagged for
review whenever the doubt could change the recommendation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any, Protocol

from service.policy.conditions import CallFacts, TagState, evaluate
from service.policy.document import TAGS, Action
from service.policy.loader import Policy

DEFAULT_RULE = "default"


class TagLike(Protocol):
    """What ``decide`` reads from a classifier ``TagResult``."""

    probability: float
    present: bool


class PredictionLike(Protocol):
    """What ``decide`` reads from a classifier ``Prediction``."""

    @property
    def tags(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Decision:
    """The recommended response and why."""

    response_mode: str
    backup_level: int
    needs_review: bool
    review_reasons: list[str]
    guidance: list[str]
    rule: str
    conditions: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class _Match:
    rule: str
    action: Action
    conditions: list[str] = field(default_factory=list)


def _tag_states(policy: Policy, prediction: PredictionLike) -> dict[str, TagState]:
    bands = policy.document.uncertainty.bands
    states: dict[str, TagState] = {}
    for name, result in prediction.tags.items():
        probability = float(result.probability)
        band = bands.get(name)  # type: ignore[call-overload]
        in_band = band is not None and band.contains(probability)
        uncertain = bool(getattr(result, "uncertain", False)) or in_band
        states[name] = TagState(probability, bool(result.present), uncertain)
    return states


def _first_match(policy: Policy, facts: CallFacts) -> _Match:
    for rule in policy.document.rules:
        found = evaluate(rule.when, facts)
        if found is not None:
            return _Match(rule.name, rule.then, found or ["always (no conditions)"])
    return _Match(DEFAULT_RULE, policy.document.default, ["no rule matched"])


def _doubtful_tags(facts: CallFacts) -> list[str]:
    """Tags the model is unsure about and did not mark present (routine is derived)."""
    return [
        t for t in TAGS if t != "routine" and facts.tag(t).uncertain and not facts.tag(t).present
    ]


def _p(facts: CallFacts, tags: Iterable[str]) -> str:
    return ", ".join(f"{t} possible (p={facts.tag(t).probability:.2f})" for t in tags)


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


class _Builder:
    """Accumulates the final decision from the base match and the uncertainty checks."""

    def __init__(self, base: _Match) -> None:
        self.base = base
        self.backup = base.action.backup_level
        self.guidance = list(base.action.guidance)
        self.conditions = list(base.conditions)
        self.reasons: list[str] = []
        if base.action.needs_review and base.action.review_reason:
            self.reasons.append(base.action.review_reason)

    def build(self) -> Decision:
        reasons = _unique(self.reasons)
        return Decision(
            self.base.action.response_mode,
            self.backup,
            bool(reasons),
            reasons,
            _unique(self.guidance),
            self.base.rule,
            self.conditions,
        )


def _review_unreadable(policy: Policy, prediction: PredictionLike, builder: _Builder) -> None:
    """A note the model cannot read (no words, or mostly words it never saw) needs review.

    ``prediction.words`` is (recognized, content words) when the classifier counted them; a
    prediction without it (a replay of an older record) is not checked.
    """
    minimum = policy.document.uncertainty.min_recognized_words
    words = getattr(prediction, "words", None)
    if minimum is None or words is None:
        return
    recognized, content = words
    if content == 0:
        builder.reasons.append("the note has no words to read: nothing to tag, read the call")
    elif recognized < minimum * content:
        builder.reasons.append(
            f"the model knows only {recognized} of {content} words in the note (another "
            "language, or codes missing from the jargon table?): its tags may miss what it says"
        )


def _review_always(policy: Policy, facts: CallFacts, builder: _Builder) -> None:
    for tag in policy.document.uncertainty.always_review:
        state = facts.tag(tag)
        if state.uncertain and not state.present:
            builder.reasons.append(f"{tag} possible (p={state.probability:.2f})")
        elif state.uncertain:
            builder.reasons.append(
                f"{tag} uncertain (p={state.probability:.2f}), treated as present"
            )


def _escalate(policy: Policy, facts: CallFacts, builder: _Builder) -> None:
    """Try every uncertain tag (and combination) as present; never end below that backup."""
    doubtful = _doubtful_tags(facts)
    always = set(policy.document.uncertainty.always_review)
    strongest: tuple[tuple[str, ...], _Match] | None = None
    for size in range(1, len(doubtful) + 1):
        for combo in combinations(doubtful, size):
            alt = _first_match(policy, facts.with_present(frozenset(combo)))
            if strongest is None or alt.action.backup_level > strongest[1].action.backup_level:
                strongest = (combo, alt)
            changed = (
                alt.action.response_mode != builder.base.action.response_mode
                or alt.action.backup_level != builder.base.action.backup_level
            )
            if size == 1 and changed and combo[0] not in always:
                builder.reasons.append(
                    f"{_p(facts, combo)}: if present, rule '{alt.rule}' would send "
                    f"{alt.action.response_mode} with backup {alt.action.backup_level}"
                )
    if strongest and strongest[1].action.backup_level > builder.backup:
        combo, alt = strongest
        old, builder.backup = builder.backup, alt.action.backup_level
        builder.conditions.append(
            f"backup raised from {old} to {builder.backup}: {_p(facts, combo)}; "
            f"if present, rule '{alt.rule}' would send backup {builder.backup}"
        )
        builder.reasons.append(f"backup raised to {builder.backup}: {_p(facts, combo)}")
        builder.guidance.extend(alt.action.guidance)


def _run_reviews(policy: Policy, facts: CallFacts, builder: _Builder) -> None:
    mode = builder.base.action.response_mode
    for check in policy.document.reviews:
        if check.modes is not None and mode not in check.modes:
            continue
        if evaluate(check.when, facts) is not None:
            builder.reasons.append(check.reason)


def decide(
    policy: Policy, prediction: PredictionLike, *, call_type: str | None, narrative: str
) -> Decision:
    """Recommend a response for one call: first matching rule, escalated for uncertainty."""
    facts = CallFacts(
        tags=_tag_states(policy, prediction),
        call_type=call_type.strip() if call_type and call_type.strip() else None,
        narrative=narrative,
        matchers=policy.matchers,
        phrase_lists=policy.document.phrase_lists,
    )
    builder = _Builder(_first_match(policy, facts))
    _review_unreadable(policy, prediction, builder)
    _review_always(policy, facts, builder)
    _escalate(policy, facts, builder)
    _run_reviews(policy, facts, builder)
    return builder.build()
