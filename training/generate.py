"""Synthetic dispatch-note generator, deterministic from a seed.

Every knob of ``GeneratorConfig`` is documented on its field. Notes are built from the
vocabulary in ``training/vocab/*.yaml``: a routine incident as context (placed independently of
the tags), cue phrases for the tags that are present, negated and unknown cues for absent ones,
decoys (alarming words that do not meet the labeling guide), demographic descriptors placed
independently of the tags, fillers, ``UPDT:`` lines, abbreviations, typos and case styles.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from training.generate_text import Renderer
from training.vocab import TAG_FILES, load_vocab

TAGS = TAG_FILES


@dataclass
class GeneratorConfig:
    """Knobs of the generator; rates are probabilities in [0, 1]."""

    n: int = 20_000  # number of notes
    seed: int = 0  # everything is deterministic from this seed
    routine_rate: float = 0.40  # share of notes with none of the three tags
    multi_tag_rate: float = 0.25  # among tagged notes, share with two or three tags
    negation_rate: float = 0.30  # per absent tag: chance of a negated cue ("NO WEAPONS SEEN")
    partial_negation_rate: float = 0.08  # per present tag: a negated *other* aspect ("DENIES SI")
    unknown_rate: float = 0.10  # per absent tag: chance of an unknown cue ("UNK IF ARMED")
    decoy_rate: float = 0.50  # chance of a decoy clause ("HANDGUN STOLEN FROM VEHICLE")
    routine_decoy_rate: float = 0.80  # the same for routine notes
    retraction_rate: float = 0.05  # per absent tag: a suspected cue retracted by a later update
    demographic_rate: float = 0.45  # chance of a race/sex/age descriptor
    language_rate: float = 0.08  # chance of a language descriptor ("SPEAKS ONLY SPANISH")
    neighborhood_rate: float = 0.10  # chance of a neighborhood name
    update_rate: float = 0.30  # chance that the note has appended UPDT lines
    late_cue_rate: float = 0.35  # in notes with updates: chance a cue is only in an update
    header_rate: float = 0.50  # chance of a call-type header ("415 DIST -")
    tag_header_rate: float = 0.30  # for tagged notes: chance the header is the tag's code
    typo_rate: float = 0.12  # chance a cue phrase carries a typo
    word_typo_rate: float = 0.01  # per-word typo rate elsewhere
    abbreviation_rate: float = 0.35  # mean per-word chance of a CAD abbreviation
    filler_max: int = 1  # up to this many filler clauses
    residue_mean: float = 0.3  # mean number of cue-template residues (cue words removed)
    narrative_mean: float = (
        0.5  # mean number of neutral narrative clauses ("SUBJ IS HOLDING A BAG")
    )
    label_noise: float = 0.0  # chance each tag label is flipped (robustness experiments)
    case_styles: dict[str, float] = field(
        default_factory=lambda: {"upper": 0.70, "lower": 0.08, "sentence": 0.22}
    )


@dataclass
class Clause:
    """A piece of a note before rendering; ``role`` drives typos and the note's kind."""

    text: str
    role: str  # incident, cue, negation, unknown, decoy, demographic, filler, header, update
    tag: str = ""


@dataclass
class NotePlan:
    """What one note will say."""

    tags: set[str]
    head: list[Clause] = field(default_factory=list)
    body: list[Clause] = field(default_factory=list)
    updates: list[Clause] = field(default_factory=list)
    retracted: bool = False


class NoteGenerator:
    """Builds labeled notes; ``generate()`` returns rows ready for ``training.dataio``."""

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig()
        self.vocab = load_vocab()
        self.rng = random.Random(self.config.seed)
        self.noise_rng = random.Random(self.config.seed + 7919)  # label noise leaves text alone
        self.renderer = Renderer(self.vocab, self.rng, self.config)
        self.residues = build_residues(self.vocab)

    def generate(self) -> list[dict[str, Any]]:
        """``n`` labeled notes with id, narrative, the four tags and the note's kind."""
        return [self.note(i) for i in range(self.config.n)]

    def note(self, index: int) -> dict[str, Any]:
        """One labeled note."""
        plan = self._plan()
        text, flags = self.renderer.render(plan)
        labels = {tag: int(tag in plan.tags) for tag in TAGS}
        if self.config.label_noise:
            for tag in TAGS:
                if self.noise_rng.random() < self.config.label_noise:
                    labels[tag] = 1 - labels[tag]
        labels["routine"] = int(not any(labels[t] for t in TAGS))
        kind = _kind(plan, flags)
        return {
            "id": f"syn-{self.config.seed}-{index:07d}",
            "narrative": text,
            **labels,
            "kind": kind,
        }

    def _plan(self) -> NotePlan:
        """Choose the tags, then the clauses."""
        cfg, rng = self.config, self.rng
        tags: set[str] = set()
        if rng.random() >= cfg.routine_rate:
            if rng.random() < cfg.multi_tag_rate:
                tags = set(rng.sample(TAGS, rng.choice((2, 2, 2, 3))))
            else:
                tags = {rng.choice(TAGS)}
        plan = NotePlan(tags)
        self._add_context(plan)
        aspects = self._add_cues(plan)
        self._add_absent_cues(plan, aspects)
        self._add_descriptors(plan)
        if not plan.body:
            plan.body.append(Clause(rng.choice(self.vocab["routine"]["incidents"]), "incident"))
        self._arrange_updates(plan)
        return plan

    def _add_context(self, plan: NotePlan) -> None:
        """Header, address and the routine incident that frames the note."""
        cfg, rng, routine = self.config, self.rng, self.vocab["routine"]
        if rng.random() < cfg.header_rate:
            tagged = sorted(plan.tags)
            if tagged and rng.random() < cfg.tag_header_rate:
                tag = rng.choice(tagged)
                plan.head.append(Clause(rng.choice(routine[f"{_short(tag)}_headers"]), "cue", tag))
            else:
                plan.head.append(Clause(rng.choice(routine["headers"]), "header"))
        if rng.random() < 0.3:
            plan.head.append(Clause(self.renderer.address(), "filler"))
        if rng.random() < (0.85 if not plan.tags else 0.6):
            plan.body.append(Clause(rng.choice(routine["incidents"]), "incident"))

    def _add_cues(self, plan: NotePlan) -> dict[str, str]:
        """Cue clauses for every present tag; returns the aspect used per tag."""
        rng = self.rng
        aspects: dict[str, str] = {}
        remaining = set(plan.tags) - {c.tag for c in plan.head if c.role == "cue"}
        if len(plan.tags) > 1 and rng.random() < 0.45:
            fitting = [m for m in self.vocab["multi"] if set(m[0]) <= plan.tags]
            if fitting:
                tags, text = rng.choice(fitting)
                plan.body.append(Clause(text, "cue", "+".join(tags)))
                remaining -= set(tags)
        header_only = len(remaining) < len(plan.tags) and rng.random() < 0.5
        for tag in sorted(plan.tags):
            if tag not in remaining and (header_only or rng.random() < 0.5):
                continue
            aspect = rng.choice(sorted(self.vocab[tag]["cues"]))
            aspects[tag] = aspect
            for _ in range(1 + (rng.random() < 0.3)):
                text = rng.choice(self.vocab[tag]["cues"][aspect])
                plan.body.append(Clause(text, "cue", tag))
        return aspects

    def _add_absent_cues(self, plan: NotePlan, aspects: dict[str, str]) -> None:
        """Negated, unknown and decoy clauses, and retracted suspicions."""
        cfg, rng = self.config, self.rng
        for tag in TAGS:
            negations = self.vocab[tag]["negations"]
            if tag not in plan.tags:
                if rng.random() < cfg.negation_rate:
                    group = rng.choice(sorted(negations))
                    plan.body.append(Clause(rng.choice(negations[group]), "negation", tag))
                if rng.random() < cfg.unknown_rate:
                    plan.body.append(
                        Clause(rng.choice(self.vocab[tag]["unknowns"]), "unknown", tag)
                    )
            elif rng.random() < cfg.partial_negation_rate:
                # A negated other aspect ("DENIES SI" with hallucinations) or, placed first, a
                # general negation that a later cue overrides ("NO WEAPONS SEEN, BUT ...").
                others = [g for g in negations if g not in (aspects.get(tag), "general", "generic")]
                general = [g for g in negations if g in ("general", "generic")]
                if others and rng.random() < 0.6:
                    group = rng.choice(sorted(others))
                    plan.body.append(Clause(rng.choice(negations[group]), "negation", tag))
                elif general:
                    text = rng.choice(negations[general[0]]) + rng.choice([", BUT", ". BUT", ";"])
                    plan.head.append(Clause(text, "negation", tag))
        absent = [t for t in TAGS if t not in plan.tags]
        rate = cfg.routine_decoy_rate if not plan.tags else cfg.decoy_rate
        if rng.random() < rate:  # decoys of any tag, so their context words carry no label
            tag = rng.choice(TAGS)
            plan.body.append(Clause(rng.choice(self.vocab[tag]["decoys"]), "decoy", tag))
        for tag in absent:
            if rng.random() < cfg.retraction_rate:
                first, second = rng.choice(self.vocab[tag]["retractions"])
                plan.body.append(Clause(first, "retraction", tag))
                plan.updates.append(Clause(second, "retraction", tag))
                plan.retracted = True

    def _add_descriptors(self, plan: NotePlan) -> None:
        """Demographic, language and neighborhood descriptors (label-independent) and fillers."""
        cfg, rng = self.config, self.rng
        demo = self.vocab["demographics"]
        if rng.random() < cfg.demographic_rate:
            plan.body.insert(
                rng.randint(0, len(plan.body)), Clause(self.renderer.descriptor(), "demographic")
            )
        if rng.random() < cfg.language_rate:
            plan.body.append(Clause(rng.choice(demo["language"]), "demographic"))
        if rng.random() < cfg.neighborhood_rate:
            plan.body.append(Clause(self.renderer.neighborhood(), "demographic"))
        for _ in range(min(4, int(rng.expovariate(1 / cfg.residue_mean) + 0.5))):
            plan.body.append(Clause(rng.choice(self.residues), "residue"))
        narrative = self.vocab["narrative"]
        for _ in range(min(6, int(rng.expovariate(1 / cfg.narrative_mean) + 0.5))):
            pool = narrative["clauses"] if rng.random() < 0.7 else narrative["rp"]
            plan.body.append(Clause(rng.choice(pool), "narrative"))
        fillers = self.vocab["routine"]["fillers"]
        for _ in range(rng.randint(0, cfg.filler_max)):
            group = rng.choice(sorted(fillers))
            plan.body.append(Clause(rng.choice(fillers[group]), "filler"))

    def _arrange_updates(self, plan: NotePlan) -> None:
        """Shuffle the body, then move some clauses into appended UPDT lines."""
        cfg, rng = self.config, self.rng
        first = plan.body[:1] if plan.body and plan.body[0].role == "incident" else []
        rest = plan.body[len(first) :]
        rng.shuffle(rest)
        plan.body = first + rest
        if not (rng.random() < cfg.update_rate or plan.updates):
            return
        moved: list[Clause] = []
        for clause in list(plan.body[1:]):
            late_cue = clause.role == "cue" and rng.random() < cfg.late_cue_rate
            if late_cue or (clause.role != "cue" and rng.random() < 0.3):
                plan.body.remove(clause)
                moved.append(clause)
        contents = self.vocab["routine"]["updates"]["contents"]
        moved += [Clause(rng.choice(contents), "filler") for _ in range(rng.randint(0, 3))]
        rng.shuffle(moved)
        plan.updates = moved + plan.updates


CUE_SLOTS = re.compile(r"\{(GUN|BLADE|BLUNT|OTHERWPN|WPN|DRUG|ALC|PILLS|PARA|PSYCHMED)\}")


def build_residues(vocab: dict[str, Any]) -> list[str]:
    """Cue templates with their cue words and weapon/substance slots removed."""
    lexicon = vocab["cue_words"]
    remove = {str(w).upper() for tag in TAGS for w in lexicon[tag]}
    sources = [t for aspect in vocab["weapon"]["cues"].values() for t in aspect]
    sources += [t for aspect in vocab["drugs"]["cues"].values() for t in aspect]
    for aspect in lexicon["mh_residue_aspects"]:
        sources += vocab["mental_health"]["cues"][aspect]
    residues = []
    for template in sources:
        stripped = CUE_SLOTS.sub(" ", template).split()
        words = [w for w in stripped if w.strip(",.").upper() not in remove]
        content = [w for w in words if not w.startswith("{") and len(w.strip(",.")) >= 3]
        removed = len(words) < len(stripped) or CUE_SLOTS.search(template)
        if removed and len(content) >= 2:
            residues.append(" ".join(words))
    return sorted(set(residues))


def _short(tag: str) -> str:
    """Prefix of the header lists in routine.yaml."""
    return {"mental_health": "mh", "drugs": "drugs", "weapon": "weapon"}[tag]


def _kind(plan: NotePlan, flags: set[str]) -> str:
    """The hard-case family a note belongs to (same names as the hand-written dev set)."""
    roles = {c.role for c in plan.head + plan.body + plan.updates}
    if len(plan.updates) >= 2 or plan.retracted:
        return "long_update"
    if "decoy" in roles and not plan.tags:
        return "decoy"
    if "negation" in roles:
        return "negation"
    if "unknown" in roles:
        return "unknown"
    if len(plan.tags) > 1:
        return "multi_tag"
    if "typo" in flags:
        return "typo"
    if "jargon" in flags:
        return "jargon"
    if "demographic" in roles:
        return "demographic"
    return "routine_plain" if not plan.tags else "plain_positive"


def generate(config: GeneratorConfig | None = None) -> list[dict[str, Any]]:
    """Convenience wrapper: the rows of ``NoteGenerator(config).generate()``."""
    return NoteGenerator(config).generate()


SLOT_RE = re.compile(r"\{([A-Z]+)\}")
