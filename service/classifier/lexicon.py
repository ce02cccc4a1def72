"""Word lists the normalizer relies on (documented in docs/model.md).

The demographic neutralization lists implement "demographic words never decide a tag"
(labeling guide): sex words and pronouns become neutral tokens before any feature is computed, and
race, ethnicity, nationality, religion, housing status and language words are mapped to
``person`` / ``language`` through the jargon table (kind ``demographic``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# Sex words and pronouns: neutral tokens so that swapping "male" for "female" changes nothing.
NEUTRAL_WORDS = {
    "male": "person",
    "female": "person",
    "males": "person",
    "females": "person",
    "man": "person",
    "woman": "person",
    "men": "person",
    "women": "person",
    "guy": "person",
    "guys": "person",
    "lady": "person",
    "ladies": "person",
    "gentleman": "person",
    "gentlemen": "person",
    "m": "person",
    "f": "person",
    "he": "pers",
    "she": "pers",
    "him": "pers",
    "her": "pers",
    "his": "pers",
    "hers": "pers",
    "they": "pers",
    "them": "pers",
    "their": "pers",
    "theirs": "pers",
    "himself": "self",
    "herself": "self",
    "themselves": "self",
    "themself": "self",
}

# Tokens that look plural but are not (or whose singular would collide with another word).
NOT_PLURAL = frozenset(
    "denies yes does goes was has is his this thus as us bus gas always perhaps whereas alias "
    "chaos lens news series species sometimes besides towards upstairs downstairs outdoors "
    "indoors afterwards its hers theirs ours yours wheres theres whats thats lets parents "
    "less unless across various previous nervous anxious serious conscious unconscious "
    "suspicious obvious famous dangerous numerous religious jealous furious delirious "
    "erratic status bonus plus virus campus census canvas atlas texas kansas illinois "
    "arkansas christmas pants shorts jeans glasses clothes sweats scissors pliers tongs "
    "binoculars thanks overalls odds means politics physics diabetes herpes measles "
    "mumps rabies shes hes theyre ems ks ss ps pds weeds lives".split()
)

IRREGULAR = {
    "knives": "knife",
    "wives": "wife",
    "children": "child",
    "people": "people",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
}

STREET_SUFFIXES = frozenset(
    "st street ave av avenue blvd boulevard rd road dr drive ln lane ct court way pl place "
    "pkwy parkway hwy highway cir circle ter terrace trl trail loop sq square plz plaza pike "
    "aly alley xing crossing ctr center cv cove pt point hts heights bl block blk".split()
)

# A number right after one of these is an identifier, not a code ("UNIT 415", "RM 245").
NUMBER_PREFIXES = frozenset(
    "unit units rm room apt apartment suite ste lot space spc bldg building floor fl hwy "
    "highway route rte exit mile marker case inc incident cad badge ext no number num bed cell "
    "pod car engine medic truck ladder squad box bus gate door dock pier terminal platform "
    "section seat line channel ch tac beat sector district dist zone area post station "
    "precinct pct badge id ticket order item pump register lane row aisle level deck ambulance "
    "apartment".split()
)

AGE_WORDS = frozenset("yoa yo yrs yr years year y/o".split())
TIME_WORDS = frozenset("hrs hr hours hour hundred am pm".split())

# Cue words the typo corrector may restore (typos in cue words are common in CAD notes).
TYPO_TARGETS = tuple(
    "suicidal suicide suicides overdose overdosed overdosing narcan naloxone heroin fentanyl "
    "methamphetamine intoxicated intoxication hallucinating hallucinations hallucination "
    "delusional delusions paranoid paranoia schizophrenic schizophrenia bipolar psychotic "
    "psychosis psychiatric depressed depression emotionally disturbed weapon weapons "
    "firearm firearms handgun handguns pistol shotgun rifle revolver machete knife knives "
    "crowbar hatchet screwdriver brandishing brandished stabbed stabbing gunshot alcohol "
    "drunk marijuana cocaine needles syringe syringes paraphernalia unresponsive voices "
    "barricaded wrists dementia alzheimers autistic "
    # negation and unknown cues: a misspelt "NIETHER INTOXICATED" must still negate
    "neither without negative unarmed unknown".split()
)

# Function words and neutral tokens left out of the features (kept in the token stream so that
# explanations can still quote the original words). Negation cues are never stop words.
STOPWORDS = frozenset(
    "a an the and or of in on at to for from by with as is are was were be been being am do "
    "does did done have has had having will would can could should shall may might must it its "
    "this that these those there here then than so if about into onto very just also too pers "
    "they them we you i me my mine our your us person caller subject state states stated say "
    "says said advised advise report reports reported any some which who whom whose what when "
    "where while again still even only more most other another each both such own same per "
    "num addr age alnum phone money clocktime xcount no not never without negative nothing nor "
    "none deny denies denied denying unknown unsure uncertain unclear ruled language status "
    "neighborhood".split()
)

# Contractions typed without the apostrophe ("DIDNT", "DOESNT").
BARE_CONTRACTIONS = {
    "didnt": ("did", "not"),
    "doesnt": ("does", "not"),
    "dont": ("do", "not"),
    "cant": ("can", "not"),
    "wont": ("will", "not"),
    "isnt": ("is", "not"),
    "wasnt": ("was", "not"),
    "hasnt": ("has", "not"),
    "havent": ("have", "not"),
    "hadnt": ("had", "not"),
    "wouldnt": ("would", "not"),
    "couldnt": ("could", "not"),
    "shouldnt": ("should", "not"),
    "arent": ("are", "not"),
    "werent": ("were", "not"),
    "aint": ("is", "not"),
    "neva": ("never",),
    "aint't": ("is", "not"),
}


@lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    """English words near a cue word that typo restoration leaves alone (protected_words.txt)."""
    path = Path(__file__).with_name("protected_words.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w and not w.startswith("#"))
