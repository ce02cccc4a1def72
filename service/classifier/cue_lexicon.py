"""Cue groups: hand-written lists of the words and word pairs that signal each tag.

The pipeline's ``cues`` block turns them into one presence feature per group (and one per
negated group), next to the word and character TF-IDF blocks. TF-IDF rows are l2-normalized,
so one cue word in a 150-word note weighs little; a presence feature weighs the same in any note,
and the model still learns from context how much to trust it (a stolen handgun, a pharmacy
alarm). Entries are written in normalized form: lower case, plurals folded, jargon expanded
(``GSW`` -> gunshot wound, ``ETOH`` -> alcohol), stop words removed from pairs.
"""

from __future__ import annotations

CUE_GROUPS: dict[str, tuple[str, ...]] = {
    "weapon_firearm": (
        "gun", "handgun", "pistol", "rifle", "shotgun", "revolver", "firearm", "derringer",
        "uzi", "shot gun", "hand gun", "long gun", "assault rifle", "semi auto",
    ),
    "weapon_blade": (
        "knife", "machete", "blade", "sword", "razor", "hatchet", "axe", "dagger", "katana",
        "shank", "scissor", "box cutter", "cleaver", "ice pick", "screwdriver", "switchblade",
        "bayonet", "broken bottle",
    ),
    "weapon_blunt": (
        "bat", "hammer", "sledgehammer", "crowbar", "metal pipe",
        "lead pipe", "brass knuckle", "nightstick", "baton", "pool cue", "tire iron",
    ),
    "weapon_use": (
        "shot", "shooting", "shoot", "fired", "gunshot", "gunfire", "gunpoint", "stabbed",
        "stabbing", "stab", "slashed", "brandishing", "brandished", "armed", "weapon",
        "deadly weapon", "shots fired", "whipped", "shots detected",
    ),
    "weapon_other": (
        "taser", "stun gun", "pepper spray", "mace", "bb gun", "pellet gun", "crossbow", "bomb",
        "airsoft gun", "replica handgun",
    ),
    "drugs_overdose": ("overdose", "overdosed", "overdosing", "narcan", "injected drug"),
    "drugs_alcohol": (
        "drunk", "intoxicated", "alcohol", "drinking", "drank", "liquor", "vodka", "beer",
        "whiskey", "booze", "tequila", "rum", "drunk driving", "tipsy", "wasted", "hammered",
        "blackout", "wine", "intoxicated pedestrian", "malt liquor", "rum",
    ),
    "drugs_substance": (
        "drug", "heroin", "meth", "methamphetamine", "fentanyl", "cocaine", "crack", "marijuana",
        "weed", "pcp", "ecstasy", "lsd", "mushroom", "opioid", "opiate", "oxycodone", "xanax",
        "narcotic", "spice", "synthetic marijuana", "ketamine", "kratom", "xylazine", "tranq",
        "dope", "bath salt", "thc", "edible", "percs", "benzodiazepine",
    ),
    "drugs_use": (
        "high", "influence", "tweaking", "injecting", "snorting", "snorted", "huffing",
        "dealing", "dealer", "paraphernalia", "needle", "syringe", "crack pipe", "glass pipe",
        "meth pipe", "bong", "tourniquet", "baggie", "impaired", "using drug", "drug use",
        "injecting drug", "nodding", "dope sick", "withdrawal",
    ),
    "mh_suicide": (
        "suicidal", "suicide", "kill self", "end life", "want die", "wants die", "jumper",
        "self harm", "hang self", "ideation", "hurt self", "harm self", "off dead",
        "attempted suicide", "suicide attempt",
    ),
    "mh_psychosis": (
        "hallucinating", "hallucination", "hearing voice", "delusional", "delusion",
        "paranoid", "paranoia", "psychotic", "psychosis", "internal stimuli", "bizarre",
        "seeing thing",
    ),
    "mh_diagnosis": (
        "schizophrenic", "schizophrenia", "bipolar", "manic", "ptsd", "psychiatric",
        "mental health", "mental subject", "mentally", "emotionally disturbed", "depressed",
        "depression", "panic attack", "breakdown", "off psychiatric", "schizoaffective",
        "mental illness", "behavioral health", "crisis", "flashback", "suicidal statement",
    ),
    "mh_cognitive": (
        "dementia", "alzheimer", "alzheimers", "autistic", "autism", "developmental",
        "down syndrome", "disoriented", "memory care", "intellectually",
    ),
    "mh_hold": (
        "health hold", "psychiatric hospital", "crisis team",
        "involuntary", "psychiatric evaluation", "emergency custody", "psych",
    ),
}

# Two words of one clause, the second within ``PATTERN_WINDOW`` content words of the first:
# context that a bag of words cannot express. A weapon named next to a property word is
# usually property (a stolen handgun, knives for sale); an object after a wielding verb is
# usually a weapon, whatever the object ("SWINGING A POOL CUE").
PATTERN_WINDOW = 4
_WEAPON_NOUNS = (
    "gun", "handgun", "pistol", "rifle", "shotgun", "revolver", "firearm", "knife", "sword",
    "machete", "ammunition", "ammo", "blade", "bat", "axe", "hatchet", "weapon", "crossbow",
)
_PROPERTY_WORDS = (
    "stolen", "taken", "theft", "burglary", "burglarized", "missing", "sale", "selling", "sold",
    "pawned", "pawn", "dispose", "disposal", "safekeeping", "donated", "donation", "collection",
    "shop", "store", "range", "registered", "permit", "license", "sharpening", "inventory",
    "lost", "recovered", "attic", "cage",
)
_WIELD_VERBS = (
    "swinging", "swung", "swing", "waving", "waved", "brandishing", "pointed", "pointing",
    "chasing", "chased", "threatening", "threatened", "hit", "struck", "beat", "beating",
    "lunged", "raised", "charged", "came", "attacked", "hitting", "striking", "smashed",
)
_WIELD_OBJECTS = _WEAPON_NOUNS + (
    "shovel", "pipe", "stick", "club", "bottle", "rock", "brick", "hammer", "crowbar", "cue",
    "board", "chain", "rake", "pan", "skillet", "wrench", "bar", "iron", "cane", "tool",
    "sledgehammer", "baton", "pole", "screwdriver", "scissor", "razor", "cleaver",
)
PATTERNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "weapon_property": (_WEAPON_NOUNS, _PROPERTY_WORDS),
    "property_weapon": (_PROPERTY_WORDS, _WEAPON_NOUNS),
    "weapon_wielded": (_WIELD_VERBS, _WIELD_OBJECTS),
}
