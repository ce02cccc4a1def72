"""What can be wrong with a policy file: one problem, and the error that lists them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong (or doubtful, for a warning) in a policy file."""

    file: str
    rule: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"rule '{self.rule}'" if self.rule else "(top level)"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}: {where}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready form for the API."""
        return {
            "file": self.file,
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
        }


class PolicyError(Exception):
    """A policy file that cannot be used; ``problems`` lists every error (and warning)."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__(str(self))

    @property
    def errors(self) -> list[PolicyProblem]:
        """Only the problems that make the policy unusable."""
        return [p for p in self.problems if p.severity == "error"]

    def __str__(self) -> str:
        count = len(self.errors)
        lines = [f"policy invalid: {count} error{'s' if count != 1 else ''}"]
        return "\n".join(lines + [f"  - {p}" for p in self.problems])
