"""The keyword-list baseline the model must beat (Kafka 2024: keyword recall 1.0, F1 0.65).

A tag is present when any of its keywords occurs as a word prefix, with no negation handling.
The lists are written from general CAD knowledge, not fitted to any evaluation set.
"""

from __future__ import annotations

import re

import numpy as np

KEYWORDS = {
    "mental_health": [
        "suicid",
        "edp",
        "5150",
        "10-96",
        "mental",
        "voices",
        "hallucinat",
        "psych",
        "delusion",
        "paranoi",
        "schizo",
        "bipolar",
        "crisis",
        "off meds",
        "off his meds",
        "off her meds",
        "self harm",
        "jumper",
        "kill himself",
        "kill herself",
        "dementia",
        "autis",
        "manic",
        "depress",
        "si/hi",
        "attsui",
        "suicthrt",
    ],
    "drugs": [
        "od",
        "overdos",
        "narcan",
        "naloxone",
        "drunk",
        "intox",
        "etoh",
        "alcohol",
        "high on",
        "meth",
        "heroin",
        "fentanyl",
        "drug",
        "cocaine",
        "crack",
        "weed",
        "marijuana",
        "pills",
        "needle",
        "syringe",
        "dui",
        "beer",
        "vodka",
        "liquor",
        "under the influence",
    ],
    "weapon": [
        "gun",
        "pistol",
        "rifle",
        "shotgun",
        "handgun",
        "firearm",
        "knife",
        "knives",
        "blade",
        "machete",
        "bat",
        "hammer",
        "weapon",
        "wpn",
        "armed",
        "shot",
        "shooting",
        "gsw",
        "stab",
        "10-32",
        "245",
        "ccw",
        "crowbar",
        "axe",
        "razor",
    ],
}


class KeywordBaseline:
    """Keyword matching per tag; ``predict`` returns a (notes x 3) 0/1 matrix."""

    def __init__(self, keywords: dict[str, list[str]] | None = None) -> None:
        lists = keywords or KEYWORDS
        self.patterns = {
            tag: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")", re.I)
            for tag, words in lists.items()
        }

    def predict(self, texts: list[str]) -> np.ndarray:
        """1 where any keyword of the tag occurs."""
        tags = ("mental_health", "drugs", "weapon")
        return np.array(
            [[int(bool(self.patterns[t].search(text))) for t in tags] for text in texts]
        ).reshape(len(texts), 3)
