"""Turning policy text into a validated, versioned, ready-to-use ``Policy``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from service.policy.document import Condition, PolicyDocument
from service.policy.phrases import PhraseMatcher, inline_key, list_key
from service.policy.problems import PolicyError, PolicyProblem
from service.policy.validate import check_document, read_yaml

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "default_policy.yaml"


@dataclass(frozen=True)
class Policy:
    """A validated policy. ``version`` is the file's version plus 8 hex chars of its hash."""

    document: PolicyDocument
    text: str
    source: str
    content_hash: str
    warnings: tuple[PolicyProblem, ...] = ()
    matchers: Mapping[str, PhraseMatcher] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        """E.g. ``2025.1+3fa2b1c4``: an edited file never reuses a version."""
        return f"{self.document.version}+{self.content_hash[:8]}"

    @property
    def modes(self) -> dict[str, str]:
        """Response mode -> who goes."""
        return dict(self.document.modes)

    @property
    def agency(self) -> str:
        """The agency the policy belongs to."""
        return self.document.agency


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the policy text exactly as stored."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _conditions(doc: PolicyDocument) -> Iterator[Condition]:
    stack = [r.when for r in doc.rules] + [c.when for c in doc.reviews]
    while stack:
        cond = stack.pop()
        yield cond
        stack += list(cond.all_of or []) + list(cond.any_of or [])
        stack += [cond.not_] if cond.not_ is not None else []


def _matchers(doc: PolicyDocument) -> dict[str, PhraseMatcher]:
    """One matcher per phrase list and per rule's inline phrases, built once per policy."""
    found = {list_key(name): PhraseMatcher(items) for name, items in doc.phrase_lists.items()}
    for cond in _conditions(doc):
        if cond.note_contains_any:
            found[inline_key(cond.note_contains_any)] = PhraseMatcher(cond.note_contains_any)
    return found


def parse_policy(text: str, source: str) -> Policy:
    """Validate policy YAML text; raise ``PolicyError`` listing every problem found."""
    raw, problems = read_yaml(text, source)
    doc = None
    if not problems:
        doc, problems = check_document(raw, source)
    if doc is None or any(p.severity == "error" for p in problems):
        raise PolicyError(problems)
    warnings = tuple(p for p in problems if p.severity == "warning")
    return Policy(doc, text, source, content_hash(text), warnings, _matchers(doc))


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise ``PolicyError`` listing every problem found."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([PolicyProblem(str(path), None, f"cannot read file: {exc}")]) from exc
    return parse_policy(text, str(path))


def load_default_policy() -> Policy:
    """The policy shipped with the project."""
    return load_policy(DEFAULT_POLICY_PATH)
