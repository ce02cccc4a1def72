"""Clause patterns: how close two words must be for the pattern to stand."""

from __future__ import annotations

import pytest

from service.classifier import load_model
from service.classifier.model import TriageModel
from service.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return load_model(PROJECT_ROOT / "models" / "triage-default.skops")


def patterns_in(model: TriageModel, text: str) -> set[str]:
    """Each pattern found, as ``name:first word``."""
    cue_vec = model.scorer.cue_vec
    assert cue_vec is not None
    names = cue_vec.group_names_.tolist()
    tokens = model.normalizer.transform([text])[0].split()
    return {
        f"{names[column]}:{tokens[a]}" for column, (a, _) in cue_vec.pattern_spots(" ".join(tokens))
    }


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("CALLER AT THE SMOKING GUN BBQ SAYS HER CAR WAS HIT", {"cue_in_name:gun"}, set()),
        ("ALARM AT FRONTIER GUNS AND AMMO STORE", {"cue_in_name:ammo"}, set()),
        # a name is next to its place word: the liquor store is one, the gun is not in it
        (
            "MAN WITH A GUN IN FRONT OF THE LIQUOR STORE",
            {"cue_in_name:liquor"},
            {"cue_in_name:gun"},
        ),
        # nor is a store merchandise: only property words make a weapon property
        ("MAN WITH A GUN IN FRONT OF THE STORE", set(), {"weapon_property:gun"}),
        ("HANDGUN STOLEN FROM GLOVEBOX", {"weapon_property:handgun"}, set()),
        ("SUBJ SWINGING A POOL CUE AT PEOPLE", {"weapon_wielded:swinging"}, set()),
        # thrown at someone (label rule 5) is wielded; dishes across a room are not
        ("DRUNK NEIGHBOR THREW A BOTTLE AT HER KIDS", {"weapon_wielded:threw"}, set()),
        ("THREW AN ASHTRAY AT THE CLERK", {"weapon_wielded:threw"}, set()),
        ("HE THREW DISHES ACROSS THE KITCHEN", set(), {"weapon_wielded:threw"}),
    ],
)
def test_pattern_windows(
    model: TriageModel, text: str, expected: set[str], absent: set[str]
) -> None:
    found = patterns_in(model, text)
    assert expected <= found, found
    assert not absent & found, found
