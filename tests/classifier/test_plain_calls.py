"""The plainest, commonest calls must come out right, whatever the aggregate figures say.

Aggregate metrics over hundreds of hard notes can hide a model that no longer tags "MALE WITH
A GUN" (training on many gun look-alikes once pulled that note to 0.04 while macro-F1 rose).
These short notes, written for this test in the labeling guide's plain sense, are a floor:
every tag of every note must match.
"""

from __future__ import annotations

import pytest

from service.classifier import load_model
from service.classifier.model import TriageModel
from service.config import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "models" / "triage-default.skops"
M, D, W = "mental_health", "drugs", "weapon"

PLAIN_CALLS: list[tuple[str, set[str]]] = [
    # weapon: carried, shown, used, threatened with access
    ("MALE WITH A GUN", {W}),
    ("SUBJ HAS A GUN", {W}),
    ("MAN WITH A GUN IN FRONT OF THE LIQUOR STORE", {W}),
    ("FEMALE WITH A KNIFE IN THE PARKING LOT", {W}),
    ("SUSP ARMED WITH A HANDGUN, LS RUNNING NB ON 5TH", {W}),
    ("caller says a guy in a red hoodie just flashed a pistol at her", {W}),
    ("SHOTS FIRED, 3-4 ROUNDS, MALE DOWN IN THE STREET", {W}),
    ("2 MALES FIGHTING, ONE HAS A BAT", {W}),
    ("VICTIM STABBED IN THE ARM, SUSP FLED ON FOOT", {W}),
    ("HUSBAND THREATENING WIFE WITH A KITCHEN KNIFE", {W}),
    ("road rage, other driver pointed a gun at caller on I-80", {W}),
    # drugs
    ("OD, MALE UNRESPONSIVE IN BATHROOM, NARCAN GIVEN", {D}),
    ("DRUNK MALE PASSED OUT ON THE SIDEWALK", {D}),
    ("caller sees two people shooting up in the park restroom", {D}),
    ("INTOX FEMALE YELLING AT CUSTOMERS IN THE STORE", {D}),
    ("HAND TO HAND DRUG DEALS IN FRONT OF 400 ELM", {D}),
    # mental health
    ("SUICIDAL MALE ON THE BRIDGE THREATENING TO JUMP", {M}),
    ("son off his meds, hearing voices, breaking things", {M}),
    ("EDP YELLING AT CARS ON MAIN ST", {M}),
    ("caller's daughter says she wants to kill herself", {M}),
    # several tags
    ("SUICIDAL MALE WITH A GUN IN HIS GARAGE", {M, W}),
    ("DRUNK MALE WAVING A KNIFE AT PEOPLE IN THE BAR", {D, W}),
    ("FEMALE TOOK A BOTTLE OF PILLS, SAYS SHE WANTS TO DIE", {M, D}),
    # routine, with and without alarming words
    ("LOUD MUSIC FROM APT 4B FOR 2 HRS", set()),
    ("VEH PARKED IN FRONT OF DRIVEWAY, RP CANT GET OUT", set()),
    ("BURGLAR ALARM AT 12 OAK ST, FRONT DOOR ZONE", set()),
    ("LOST DOG, BROWN LAB, LAST SEEN ON PINE", set()),
    ("THEFT FROM AUTO, HANDGUN TAKEN FROM GLOVEBOX OVERNIGHT", set()),
    ("MALE WITH A GUN, NO WAIT - CALLER NOW SAYS IT WAS A PHONE, CONFIRMED BY UNIT", set()),
    ("NO WEAPONS, NO DRUGS, VERBAL ARGUMENT OVER RENT", set()),
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return load_model(MODEL_PATH)


@pytest.mark.parametrize(("note", "tags"), PLAIN_CALLS, ids=[n[:40] for n, _ in PLAIN_CALLS])
def test_plain_call(model: TriageModel, note: str, tags: set[str]) -> None:
    result = model.classify(note)
    present = {tag for tag in (M, D, W) if result.tags[tag].present}
    probabilities = {tag: round(result.tags[tag].probability, 3) for tag in (M, D, W)}
    assert present == tags, probabilities
