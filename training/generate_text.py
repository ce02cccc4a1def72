"""Rendering generator plans into CAD-style text: slots, abbreviations, typos, case, layout."""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.generate import Clause, GeneratorConfig, NotePlan

SLOT_RE = re.compile(r"\{([A-Z]+)\}")
WORD_RE = re.compile(r"[A-Za-z]{4,}")

# CAD abbreviations applied at random (the jargon table maps them back).
ABBREVIATIONS = {
    "WITH": ["W/"],
    "WITHOUT": ["W/O"],
    "WEAPON": ["WPN", "WEAP"],
    "WEAPONS": ["WPNS", "WEAPS"],
    "SUBJECT": ["SUBJ"],
    "SUSPECT": ["SUSP"],
    "VEHICLE": ["VEH"],
    "ADVISED": ["ADV", "ADVSD"],
    "ADVISES": ["ADVS"],
    "POSSIBLE": ["POSS"],
    "POSSIBLY": ["POSS"],
    "UNKNOWN": ["UNK"],
    "APARTMENT": ["APT"],
    "NEIGHBOR": ["NBR"],
    "BOYFRIEND": ["BF"],
    "GIRLFRIEND": ["GF"],
    "HISTORY": ["HX"],
    "ALCOHOL": ["ETOH"],
    "INTOXICATED": ["INTOX"],
    "OVERDOSE": ["OD"],
    "REQUESTING": ["REQ", "REQG"],
    "REQUESTS": ["REQS"],
    "STATES": ["STS"],
    "APPROXIMATELY": ["APPROX"],
    "RESIDENCE": ["RES"],
    "MINUTES": ["MINS"],
    "BLOCK": ["BLK"],
    "NEGATIVE": ["NEG"],
    "INFORMATION": ["INFO"],
    "PATIENT": ["PT"],
    "VICTIM": ["VIC"],
    "DRIVER": ["DRVR"],
    "AMBULANCE": ["AMB"],
    "BUILDING": ["BLDG"],
    "MEDICATION": ["MEDS"],
    "MEDICATIONS": ["MEDS"],
    "BLACK": ["BLK"],
    "HANDGUN": ["HG"],
    "FIREARM": ["F/A"],
    "FEMALE": ["FEM"],
    "JUVENILE": ["JUV"],
    "REPORTING": ["RPTG"],
    "RESPONSIVE": ["RESP"],
    "UNRESPONSIVE": ["UNRESP"],
    "UNCONSCIOUS": ["UNC", "UNCON"],
    "SUICIDAL": ["SUIC"],
    "PARAPHERNALIA": ["PARA"],
    "MARIJUANA": ["MJ"],
    "THREATENING": ["THREATING", "THRTNG"],
    "DEPARTMENT": ["DEPT"],
    "ENROUTE": ["ENRT"],
    "SUPERVISOR": ["SUPV"],
    "OFFICER": ["OFC"],
    "OFFICERS": ["OFCRS"],
    "BEHIND": ["BHND"],
    "YEARS": ["YRS"],
    "HOURS": ["HRS"],
    "AND": ["&", "+"],
    "ARMED": ["ARMD"],
}
KEYBOARD = dict(
    zip(
        "qwertyuiopasdfghjklzxcvbnm",
        "wa eqr wrt ety ruy tiu yio uop iol op qsz wadx esfc rdgv tfhb ygjn uhkm ijl ok "
        "asx zsdc xdfv cfgb vghn bhjm njk".split(" "),
        strict=True,
    )
)


class Renderer:
    """Turns a ``NotePlan`` into text; all randomness comes from the generator's rng."""

    def __init__(self, vocab: dict[str, Any], rng: random.Random, config: GeneratorConfig):
        self.vocab = vocab
        self.slots: dict[str, list[str]] = {**vocab["slots"], "OBJ": vocab["narrative"]["OBJ"]}
        self.rng = rng
        self.config = config
        self.jargon_words = _jargon_words()

    def render(self, plan: NotePlan) -> tuple[str, set[str]]:
        """The note text and flags (``typo``, ``jargon``) describing what was applied."""
        rng = self.rng
        flags: set[str] = set()
        abbrev = min(0.9, rng.expovariate(1 / self.config.abbreviation_rate))
        pieces = [self._clause(c, abbrev, flags) for c in plan.head + plan.body]
        sep = rng.choice([". ", ". ", ", ", ", ", " / ", " - ", "; ", " ", ".. ", " * "])
        text = _join_head(pieces[: len(plan.head)], rng) + sep.join(pieces[len(plan.head) :])
        for clause in plan.updates:
            prefix = self.fill(rng.choice(self.vocab["routine"]["updates"]["prefixes"]))
            line_sep = rng.choice(["\n", "\n", " ", "  ", ". ", "\n\n"])
            text += f"{line_sep}{prefix} {self._clause(clause, abbrev, flags)}"
        if rng.random() < 0.3:
            text += rng.choice([".", "..", " ", "*", ". ", ""])
        return self._case(text.strip()), flags

    def _clause(self, clause: Clause, abbrev: float, flags: set[str]) -> str:
        """Fill, abbreviate and maybe misspell one clause."""
        text = self.fill(clause.text)
        if clause.role == "cue" and any(w in self.jargon_words for w in text.split()):
            flags.add("jargon")
        text = self._abbreviate(text, abbrev)
        if clause.role == "cue" and self.rng.random() < self.config.typo_rate:
            text = self._typo_in_clause(text)
            flags.add("typo")
        elif self.config.word_typo_rate:
            text = " ".join(
                self.typo(w) if len(w) > 3 and self.rng.random() < self.config.word_typo_rate else w
                for w in text.split(" ")
            )
        return text

    def fill(self, template: str) -> str:
        """Replace every ``{SLOT}`` with a random filler."""
        return SLOT_RE.sub(lambda m: self._slot(m.group(1)), template)

    def _slot(self, name: str) -> str:
        if name == "WPN":
            name = self.rng.choice(["GUN", "BLADE", "BLUNT", "GUN", "BLADE"])
        return self.fill(self.rng.choice(self.slots[name]))

    def _abbreviate(self, text: str, rate: float) -> str:
        """Swap words for CAD abbreviations with probability ``rate`` each."""
        if rate < 0.02:
            return text
        words = text.split(" ")
        for i, word in enumerate(words):
            options = ABBREVIATIONS.get(word)
            if options and self.rng.random() < rate:
                words[i] = self.rng.choice(options)
        return " ".join(words).replace("W/ ", self.rng.choice(["W/ ", "W/"]))

    def _typo_in_clause(self, text: str) -> str:
        """Misspell one longer word of a cue clause."""
        words = list(WORD_RE.finditer(text))
        if not words:
            return text
        m = self.rng.choice(words)
        return text[: m.start()] + self.typo(m.group()) + text[m.end() :]

    def typo(self, word: str) -> str:
        """One keyboard typo: swap, drop, double, neighbor key or inserted key."""
        rng = self.rng
        if len(word) < 3:
            return word
        i = rng.randrange(1, len(word) - 1)
        op = rng.choice(("swap", "drop", "double", "neighbor", "insert", "phonetic"))
        if op == "phonetic":
            return _phonetic(word, rng)
        if op == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if op == "drop":
            return word[:i] + word[i + 1 :]
        if op == "double":
            return word[:i] + word[i] + word[i:]
        near = KEYBOARD.get(word[i].lower(), "e")
        key = rng.choice(near)
        key = key.upper() if word[i].isupper() else key
        if op == "neighbor":
            return word[:i] + key + word[i + 1 :]
        return word[:i] + key + word[i:]

    def _case(self, text: str) -> str:
        """Apply one of the configured case styles."""
        styles = self.config.case_styles
        style = self.rng.choices(list(styles), weights=list(styles.values()))[0]
        if style == "lower":
            return text.lower()
        if style == "sentence":
            return re.sub(
                r"(^|[.!?]\s+|\n)([a-z])",
                lambda m: m.group(1) + m.group(2).upper(),
                _sentence_lower(text),
            )
        return text

    def address(self) -> str:
        """An invented street address or intersection."""
        rng, routine = self.rng, self.vocab["routine"]
        street = f"{rng.choice(routine['streets'])} {rng.choice(routine['suffixes'])}"
        form = rng.randrange(4)
        if form == 0:
            return f"{rng.randint(100, 9999)} {rng.choice(['', 'N ', 'S ', 'E ', 'W '])}{street}"
        if form == 1:
            return f"LOC: {rng.randint(1, 99) * 100} BLK {street}"
        if form == 2:
            return f"@ {rng.randint(10, 999)} {street} APT {rng.randint(1, 40)}"
        return f"{street} / {rng.choice(routine['streets'])} {rng.choice(routine['suffixes'])}"

    def descriptor(self) -> str:
        """A demographic descriptor in one of several layouts."""
        rng, demo = self.rng, self.vocab["demographics"]
        desc = f"{rng.choice(demo['descriptors'])} {rng.choice(demo['ages'])}".strip()
        layout = rng.choice(
            ["{d}", "SUBJ IS {d}", "SUBJ DESC: {d}", "{d}, {c}", "DESCRIBED AS {d}", "{d} {c}"]
        )
        clothing = rng.choice(self.vocab["routine"]["fillers"]["subject"])
        return self.fill(layout.format(d=desc, c=clothing))

    def neighborhood(self) -> str:
        """A neighborhood mention (invented names)."""
        name = self.rng.choice(self.vocab["routine"]["neighborhoods"])
        return self.rng.choice([f"IN THE {name} AREA", f"{name} NEIGHBORHOOD", f"LIVES IN {name}"])


PHONETIC = [
    ("PH", "F"),
    ("CH", "K"),
    ("C", "K"),
    ("Z", "S"),
    ("S", "Z"),
    ("IE", "EI"),
    ("EI", "IE"),
    ("OL", "LE"),
    ("AL", "LE"),
    ("YL", "OL"),
    ("OR", "ER"),
    ("ER", "OR"),
    ("SCH", "SK"),
    ("TION", "SHUN"),
    ("LL", "L"),
    ("SS", "S"),
    ("TT", "T"),
    ("A", "E"),
    ("I", "Y"),
    ("Y", "I"),
    ("OI", "IO"),
    ("OU", "O"),
    ("EA", "EE"),
    ("CK", "K"),
    ("X", "KS"),
    ("QU", "KW"),
]


def _phonetic(word: str, rng: random.Random) -> str:
    """A misspelling by sound ("PISTLE", "SKITZOPHRENIC") rather than by keyboard."""
    upper = word.upper()
    options = [(a, b) for a, b in PHONETIC if a in upper[1:]]
    if not options:
        return word[::-1][::-1] if len(word) < 4 else word[:-2] + word[-1] + word[-2]
    a, b = rng.choice(options)
    i = upper.index(a, 1)
    out = upper[:i] + b + upper[i + len(a) :]
    return out if word.isupper() else out.lower()


def _join_head(pieces: list[str], rng: random.Random) -> str:
    """Header and address come first, set off CAD-style."""
    if not pieces:
        return ""
    return rng.choice([" - ", ": ", " / ", " ", ". ", " -- "]).join(pieces) + rng.choice(
        [" - ", ": ", ". ", " ", " / ", "\n"]
    )


def _sentence_lower(text: str) -> str:
    """Lower-case everything except codes and short abbreviations."""
    return " ".join(
        w
        if (
            any(ch.isdigit() for ch in w)
            or (len(w) <= 4 and w.isupper() and w.isalpha() and w in _KEEP_UPPER)
        )
        else w.lower()
        for w in text.split(" ")
    )


_KEEP_UPPER = frozenset(
    "RP EDP OD GSW ETOH SI HI CCW EMS FD PD DUI UNK NEG SUBJ APT VEH MVA ADW AMS CIT MHC BF GF "
    "INTOX UTL GOA LSW UPDT PT HX MH".split()
)


def _jargon_words() -> frozenset[str]:
    """Upper-case codes from the default jargon table (to flag notes of kind ``jargon``)."""
    from service.classifier.jargon import load_jargon

    return frozenset(
        e.code.upper() for e in load_jargon() if e.kind in ("mental_health", "drugs", "weapon")
    )
