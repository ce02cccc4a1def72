"""The policy file format: pydantic models for the YAML an agency edits.

Structure only (types, unknown keys); the checks that need the whole file (modes defined,
unreachable rules, impossible thresholds) live in ``validate.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Tag = Literal["mental_health", "drugs", "weapon", "routine"]
TAGS: tuple[str, ...] = ("mental_health", "drugs", "weapon", "routine")


class StrictModel(BaseModel):
    """Base for every part of the file: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Threshold(StrictModel):
    """A closed probability interval; either bound may be left out."""

    ge: float | None = None
    le: float | None = None

    def describe(self) -> str:
        """Human-readable form, e.g. ``≥ 0.50`` or ``in [0.30, 0.70]``."""
        if self.ge is not None and self.le is not None:
            return f"in [{self.ge:.2f}, {self.le:.2f}]"
        if self.ge is not None:
            return f"≥ {self.ge:.2f}"
        if self.le is not None:
            return f"≤ {self.le:.2f}"
        return "(no bound)"

    def contains(self, probability: float) -> bool:
        """True when ``probability`` lies inside the interval."""
        if self.ge is not None and probability < self.ge:
            return False
        return not (self.le is not None and probability > self.le)


class Condition(StrictModel):
    """Conditions of a rule; every key given must hold (they are ANDed).

    An empty condition always matches.
    """

    present: list[Tag] | None = None
    absent: list[Tag] | None = None
    possible: list[Tag] | None = None
    uncertain: list[Tag] | None = None
    probability: dict[Tag, Threshold] | None = None
    call_type_in: list[str] | None = None
    note_contains_any: list[str] | None = None
    note_mentions: list[str] | None = None
    all_of: list[Condition] | None = Field(default=None, alias="all")
    any_of: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    def is_empty(self) -> bool:
        """True when no key is set, so the condition matches every call."""
        return not self.model_dump(exclude_none=True)


class Action(StrictModel):
    """What a rule recommends."""

    response_mode: str
    backup_level: int
    guidance: list[str] = Field(default_factory=list)
    needs_review: bool = False
    review_reason: str | None = None


class Rule(StrictModel):
    """One ordered rule: the first whose ``when`` holds decides."""

    name: str
    when: Condition = Field(default_factory=Condition)
    then: Action


class ReviewCheck(StrictModel):
    """A check run after the rule decided; when it holds the call needs review."""

    name: str
    modes: list[str] | None = None
    when: Condition = Field(default_factory=Condition)
    reason: str


class Uncertainty(StrictModel):
    """How uncertain tags are treated on top of the model's own uncertain bands."""

    bands: dict[Tag, Threshold] = Field(default_factory=dict)
    always_review: list[Tag] = Field(default_factory=lambda: list[Tag](["weapon"]))
    # Below this share of a note's words known to the model (another language, gibberish,
    # codes missing from the jargon table) its probabilities mean little: the call needs
    # review. A note with no words at all always does. None switches the check off.
    min_recognized_words: float | None = Field(default=0.5, ge=0.0, le=1.0)


class PolicyDocument(StrictModel):
    """The whole policy file."""

    version: str
    agency: str
    modes: dict[str, str]
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    phrase_lists: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[Rule]
    reviews: list[ReviewCheck] = Field(default_factory=list)
    default: Action

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        """YAML reads ``version: 3`` as a number; keep it as the text the agency wrote."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value
