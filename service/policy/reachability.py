"""Finding rules that can never fire because an earlier rule always fires first.

A rule's ``when`` is reduced to a set of atoms (its top-level checks, with ``all`` flattened;
``any`` and ``not`` kept whole). An earlier rule shadows a later one when each of its atoms is
implied by some atom of the later rule: every call the later rule matches, the earlier one
matches too. This is sound but not complete: it never flags a reachable rule, and it catches the
common mistakes (a rule after an unconditional one, a duplicate, a narrower rule placed after a
broader one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from service.policy.document import Condition, Rule

Atom = tuple[object, ...]


def _tag_atoms(cond: Condition) -> set[Atom]:
    atoms: set[Atom] = set()
    for kind in ("present", "absent", "possible", "uncertain"):
        atoms |= {(kind, tag) for tag in getattr(cond, kind) or []}
    for tag, threshold in (cond.probability or {}).items():
        low = 0.0 if threshold.ge is None else threshold.ge
        high = 1.0 if threshold.le is None else threshold.le
        atoms.add(("probability", tag, low, high))
    return atoms


def atoms_of(cond: Condition, phrase_lists: Mapping[str, list[str]]) -> set[Atom]:
    """The conjunction ``cond`` stands for, as a set of atoms."""
    atoms = _tag_atoms(cond)
    if cond.call_type_in is not None:
        atoms.add(("call_type", frozenset(c.strip().upper() for c in cond.call_type_in)))
    if cond.note_contains_any is not None:
        atoms.add(("note", frozenset(p.lower() for p in cond.note_contains_any)))
    if cond.note_mentions is not None:
        phrases = [p for name in cond.note_mentions for p in phrase_lists.get(name, [])]
        atoms.add(("note", frozenset(p.lower() for p in phrases)))
    for part in cond.all_of or []:
        atoms |= atoms_of(part, phrase_lists)
    if cond.any_of is not None:
        dumped = [part.model_dump(by_alias=True, exclude_none=True) for part in cond.any_of]
        atoms.add(("any", json.dumps(dumped, sort_keys=True)))
    if cond.not_ is not None:
        dumped_not = cond.not_.model_dump(by_alias=True, exclude_none=True)
        atoms.add(("not", json.dumps(dumped_not, sort_keys=True)))
    return atoms


def _implies_tag(strong: Atom, weak: Atom) -> bool:
    kind, tag = weak[0], weak[1]
    if kind == "possible":
        return strong in {("present", tag), ("uncertain", tag)}
    if kind == "absent" and tag != "routine":
        return strong == ("present", "routine")
    if kind == "absent":
        return strong[0] == "present" and strong[1] != "routine"
    return False


def implies(strong: Atom, weak: Atom) -> bool:
    """True when every call satisfying ``strong`` also satisfies ``weak``."""
    if strong == weak:
        return True
    if weak[0] in {"possible", "absent"}:
        return _implies_tag(strong, weak)
    if strong[0] != weak[0]:
        return False
    if weak[0] == "probability":
        return strong[1] == weak[1] and weak[2] <= strong[2] and strong[3] <= weak[3]  # type: ignore[operator]
    if weak[0] in {"call_type", "note"}:
        return strong[1] <= weak[1]  # type: ignore[operator]
    return False


def covers(earlier: set[Atom], later: set[Atom]) -> bool:
    """True when the earlier conjunction matches every call the later one matches."""
    return all(any(implies(atom, needed) for atom in later) for needed in earlier)


@dataclass(frozen=True)
class Shadowing:
    """A rule that can never fire, and the earlier rule that always fires before it."""

    rule: str
    by: str
    message: str


def shadowed_rules(rules: list[Rule], phrase_lists: Mapping[str, list[str]]) -> list[Shadowing]:
    """Every rule that an earlier rule makes unreachable."""
    found: list[Shadowing] = []
    seen: list[tuple[str, set[Atom]]] = []
    for rule in rules:
        mine = atoms_of(rule.when, phrase_lists)
        for name, earlier in seen:
            if covers(earlier, mine):
                found.append(Shadowing(rule.name, name, _why(name, earlier, mine)))
                break
        seen.append((rule.name, mine))
    return found


def _why(name: str, earlier: set[Atom], mine: set[Atom]) -> str:
    if not earlier:
        return f"unreachable: rule '{name}' above has no conditions and matches every call"
    if earlier == mine:
        return f"unreachable: same conditions as earlier rule '{name}'"
    return (
        f"unreachable: earlier rule '{name}' is broader (every call this rule matches, "
        f"'{name}' matches first); move this rule above it or narrow '{name}'"
    )
