"""NegEx-style scope marking for dispatch notes.

A negation cue ("no", "denies", "neg", "without", "ruled out", ...) puts the following words of
its clause in a *negated* scope; an unknown cue ("unk if", "unknown if", "not sure if") puts them
in an *unknown* scope. Both scopes mean "not present" for the labeling guide. Trailing cues
("WEAPONS: NEG", "OD RULED OUT", "WPNS UNK", "NONE SEEN") mark the few words before them.
Scopes end at clause boundaries (period, semicolon, newline, "but", "however", "UPDT"), at a new
clause's subject or verb for the short cues, and after a bounded window (Chapman et al. 2001 used
five words). Commas continue a scope only for short list items ("DENIES SI, HI").
"""

from __future__ import annotations

from itertools import compress

from .tokens import BOUNDARY, SEPARATORS

AFFIRMED, NEGATED, UNKNOWN = 0, 1, 2

NEG_CUES = frozenset(
    "no not never without negative nothing none nor absent deny denies denied denying "
    "refute neither nobody".split()
)
DENIAL_CUES = frozenset("deny denies denied denying".split())
BELIEF_VERBS = frozenset("think believe know see saw observe hear feel suspect".split())
UNSURE_WORDS = frozenset("unknown unsure uncertain unclear undetermined".split())
SURE_WORDS = frozenset("sure certain known clear know tell".split())
# Hedges: "MAY HAVE A KNIFE", "MIGHT BE DRUNK", "MAYBE HIGH" report a suspicion, not an
# observation (the guide's "unknown is not present"); "POSS OD" stays affirmed, as the guide says.
HEDGE_WORDS = frozenset("may might maybe".split())
HEDGE_VERBS = frozenset("have has had be been of carry carrying".split())
PSEUDO_AFTER = {
    "no": frozenset("longer further doubt change answer response contact problem".split()),
    "not": frozenset("only just necessarily until far".split()),
    "nothing": frozenset("left else wrong further new to".split()),
}
HARD_STOPS = frozenset(
    "but however though although except yet still while whereas aside update then".split()
)
SOFT_STOPS = frozenset(
    "caller subject suspect pers person state states stated say says said advised report "
    "reported now also has have had is was are were who which that because since after when "
    "per appear appears seem seems victim patient officer police ambulance will wants want "
    "going plans plan".split()
)
UNKNOWN_STOPS = frozenset(
    "person pers subject suspect caller vehicle problem location type direction number "
    "time address kind make model".split()
)
TRAILING_NEG = frozenset("negative none denied".split())
_TRAILING_BACK = TRAILING_NEG | {"out", "nothing"}  # (built once, not per cue)
_ALL_STOPS = HARD_STOPS | SOFT_STOPS
TRAILING_NOT = frozenset(
    "seen observed found present involved noted reported indicated mentioned visible "
    "displayed shown suspected factor issue".split()
)
LIST_WORDS = frozenset({"or", "and", "nor", "/", "any"})
# Words right after a cue that belong to it, not to a new clause: the negated subject and its
# verb ("NO ONE IS armed", "NEITHER PARTY WAS drinking", "NEVER HAD a gun", "DOES NOT HAVE a
# knife", "NOBODY HAS a weapon"). Skipped (up to two) before the scope's stop words apply.
CUE_SUBJECT_VERB = frozenset(
    "one party parties person pers of them either has have had is was are were been be "
    "seem seems seemed appear appears appeared".split()
)
# Cues whose scope may run on through a comma-separated list ("NO WEAPONS, DRUGS OR ETOH").
LIST_CUES = frozenset("no negative without nor deny denies denied denying".split())
# Premise history ("PREM HX: 2019 WPN CALL, 2021 SHOTS INTO BLDG") lists earlier calls at the
# address, not this incident: its words, up to the end of the line or sentence, are unknown.
# (A caution flag about a person, "HAZARD: SUBJ CARRIES A KNIFE", is a warning and stays.)
PREMISE_WORDS = frozenset("prem premise premises location loc addr address".split())
WINDOW, LONG_WINDOW, BACK_WINDOW, HISTORY_WINDOW = 6, 5, 3, 16
_TRIGGERS = UNSURE_WORDS | NEG_CUES | HEDGE_WORDS | {"ruled", "rule", "?", "not", "history"}


def mark_scopes(tokens: list[str]) -> list[int]:
    """Scope of each token: AFFIRMED, NEGATED or UNKNOWN."""
    scopes = [AFFIRMED] * len(tokens)
    n = len(tokens)
    if _TRIGGERS.isdisjoint(tokens):
        return scopes
    for i in list(compress(range(n), map(_TRIGGERS.__contains__, tokens))):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < n else BOUNDARY
        if tok in UNSURE_WORDS or (tok == "not" and nxt in SURE_WORDS):
            _mark_unknown(tokens, scopes, i + (1 if tok == "not" else 0))
        elif tok in NEG_CUES and nxt not in PSEUDO_AFTER.get(tok, ()):
            _mark_negation(tokens, scopes, i)
        elif tok in ("ruled", "rule") and nxt == "out":
            _mark_negation(tokens, scopes, i + 1)
        elif tok == "?":
            _mark_back(tokens, scopes, i, UNKNOWN, BACK_WINDOW)
        elif tok in HEDGE_WORDS:
            _mark_hedge(tokens, scopes, i, nxt)
        elif tok == "history" and i and tokens[i - 1] in PREMISE_WORDS:
            _mark_history(tokens, scopes, i + 1)
    return scopes


def _mark_history(tokens: list[str], scopes: list[int], j: int) -> None:
    """Premise history: every word up to the end of its line or sentence (commas included)."""
    end = min(len(tokens), j + HISTORY_WINDOW)
    while j < end and tokens[j] != BOUNDARY:
        if tokens[j] not in SEPARATORS:
            scopes[j] = UNKNOWN
        j += 1


def _clause_end(tokens: list[str], i: int) -> bool:
    """True when position ``i`` ends a clause (or the note)."""
    return i >= len(tokens) or tokens[i] in (BOUNDARY, ",", "?") or tokens[i] in HARD_STOPS


def _mark_negation(tokens: list[str], scopes: list[int], i: int) -> None:
    """Mark the scope of the negation cue at ``i`` (forward, or backward when trailing)."""
    cue = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else BOUNDARY
    trailing = _clause_end(tokens, i + 1) or (cue in ("none", "nothing") and nxt in TRAILING_NOT)
    if trailing and cue in _TRAILING_BACK:
        _mark_back(tokens, scopes, i, NEGATED, BACK_WINDOW)
        return
    if cue in ("denied", "out") and i + 1 < len(tokens) and tokens[i + 1] in ("by", "per"):
        _mark_back(tokens, scopes, i, NEGATED, BACK_WINDOW)
        return
    if cue == "not" and i + 1 < len(tokens) and tokens[i + 1] in TRAILING_NOT:
        _mark_back(tokens, scopes, i, NEGATED, BACK_WINDOW)
    long_scope = cue in DENIAL_CUES or (
        cue == "not" and i + 1 < len(tokens) and tokens[i + 1] in BELIEF_VERBS
    )
    stops = HARD_STOPS if long_scope else _ALL_STOPS
    j = i + 1
    while j < len(tokens) and j <= i + 2 and tokens[j] in CUE_SUBJECT_VERB:
        j += 1
    # "NO ONE HURT, SHOTS FIRED": a negated subject is not a list of negated things.
    lists = cue in LIST_CUES and tokens[i + 1 : j].count("one") == 0 and j - i <= 2
    _mark_forward(tokens, scopes, j, NEGATED, WINDOW, stops, lists)


def _mark_unknown(tokens: list[str], scopes: list[int], i: int) -> None:
    """Mark the scope of an unknown cue: long after "if/whether", short after a bare "unk"."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else BOUNDARY
    if nxt in ("if", "whether", "of", "about"):
        _mark_forward(tokens, scopes, i + 2, UNKNOWN, LONG_WINDOW, HARD_STOPS)
    elif _clause_end(tokens, i + 1):
        _mark_back(tokens, scopes, i, UNKNOWN, BACK_WINDOW)
    elif nxt not in UNKNOWN_STOPS:
        _mark_forward(tokens, scopes, i + 1, UNKNOWN, 1, HARD_STOPS | UNKNOWN_STOPS)


def _mark_hedge(tokens: list[str], scopes: list[int], i: int, nxt: str) -> None:
    """``may have a gun`` / ``might be drunk``: the few words after the verb are unknown;
    a bare ``maybe`` covers the next two words (``MAYBE HIGH``)."""
    stops = HARD_STOPS | UNKNOWN_STOPS
    if nxt in HEDGE_VERBS:
        _mark_forward(tokens, scopes, i + 2, UNKNOWN, BACK_WINDOW, stops, lists=False)
    elif tokens[i] == "maybe":
        _mark_forward(tokens, scopes, i + 1, UNKNOWN, 2, stops, lists=False)


def _mark_forward(
    tokens: list[str],
    scopes: list[int],
    j: int,
    scope: int,
    window: int,
    stops: frozenset[str],
    lists: bool = True,
) -> None:
    """Mark up to ``window`` words from ``j`` until a boundary or a stop word; ``lists`` lets
    the scope run on through short comma-separated items."""
    counted = 0
    n = len(tokens)
    while j < n and counted < window:
        tok = tokens[j]
        if tok == BOUNDARY or tok == "?" or tok in stops:
            return
        if tok == ",":
            closed = any(tokens[k] in TRAILING_NOT for k in range(j - counted - 1, j))
            if closed or not lists or not _short_list_item(tokens, j + 1, stops):
                return
        elif tok not in LIST_WORDS and tok != ":":
            scopes[j] = scope
            counted += 1
        j += 1


def _short_list_item(tokens: list[str], j: int, stops: frozenset[str]) -> bool:
    """After a comma: does a short list item (at most two words) follow?"""
    length = 0
    if j < len(tokens) and tokens[j].endswith("ing"):
        return False  # "NO WEAPONS, HEARING VOICES": a new clause, not a list item
    while j < len(tokens) and tokens[j] not in (BOUNDARY, ",", "?") and tokens[j] not in stops:
        if tokens[j] not in LIST_WORDS:
            length += 1
        j += 1
    return 0 < length <= 2


def _mark_back(tokens: list[str], scopes: list[int], i: int, scope: int, window: int) -> None:
    """Mark up to ``window`` words before position ``i`` within the clause."""
    j, counted = i - 1, 0
    while j >= 0 and tokens[j] in ("not", "ruled", "rule", "been", "is", "are", "was", "were"):
        j -= 1
    while j >= 0 and counted < window:
        tok = tokens[j]
        if tok in (BOUNDARY, ",", "?") or tok in HARD_STOPS or tok in SOFT_STOPS:
            return
        if tok not in LIST_WORDS and tok != ":":
            scopes[j] = scope
            counted += 1
        j -= 1
