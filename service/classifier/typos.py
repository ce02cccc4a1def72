"""Conservative typo restoration for cue words ("SUCIDAL" -> suicidal, "KNFIE" -> knife).

A token is only corrected when it is not a known word (seen in training or in the jargon table),
is at least five letters long, and is one edit away from exactly one cue word. Words of five
letters are only restored from a dropped, doubled or swapped letter, never a substituted one, so
that "bills" does not become "pills".
"""

from __future__ import annotations

from collections.abc import Iterable


def _deletes(word: str) -> set[str]:
    """All strings obtained by deleting one character."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one insertion, deletion, substitution or swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _is_substitution(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` have equal length and differ in exactly one position."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _osa_distance(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (substitution, insertion, deletion, swap)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


class TypoCorrector:
    """Symmetric-delete lookup of cue words within one edit; two edits for long words that
    keep their first three letters ("PISTLE" -> pistol, "METHAMFETAMINE" -> methamphetamine)."""

    def __init__(self, targets: Iterable[str], known: Iterable[str]) -> None:
        targets = list(targets)
        self.known = frozenset(known) | frozenset(targets)
        self.long_targets: dict[str, list[str]] = {}
        for target in targets:
            if len(target) >= 6:
                self.long_targets.setdefault(target[:3], []).append(target)
        self.index: dict[str, set[str]] = {}
        for target in targets:
            if len(target) < 5:
                continue
            for key in _deletes(target) | {target}:
                self.index.setdefault(key, set()).add(target)

    def correct(self, token: str) -> str:
        """The cue word ``token`` was meant to be, or ``token`` itself."""
        if len(token) < 5 or token in self.known or not token.isalpha():
            return token
        candidates: set[str] = set(self.index.get(token, ()))
        for key in _deletes(token):
            candidates |= self.index.get(key, set())
        candidates = {c for c in candidates if self._allowed(token, c)}
        if len(candidates) == 1:
            return candidates.pop()
        if candidates or len(token) < 6:
            return token
        far = {
            t
            for t in self.long_targets.get(token[:3], ())
            if abs(len(t) - len(token)) <= 2 and _osa_distance(token, t) <= 2
        }
        return far.pop() if len(far) == 1 else token

    @staticmethod
    def _allowed(token: str, target: str) -> bool:
        """One edit only; no substitutions into five-letter cue words."""
        if not _one_edit(token, target):
            return False
        if len(target) > 5:
            return True
        return not _is_substitution(token, target)
