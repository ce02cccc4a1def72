"""Bodies for tag corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class CorrectionIn(BaseModel):
    """The tags the call should have had, per the labeling guide; ``routine`` follows from them."""

    model_config = ConfigDict(extra="forbid")

    mental_health: bool
    drugs: bool
    weapon: bool
    note: Note | None = None


class CorrectionOut(BaseModel):
    """A stored correction, with who made it, when, and which tags it changes."""

    id: int
    recommendation_id: str
    call_id: str
    mental_health: bool
    drugs: bool
    weapon: bool
    routine: bool
    note: str | None
    corrected_by: str | None
    created_at: datetime
    changed_tags: list[str]
