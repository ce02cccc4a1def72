"""The shipped model: labeling-guide examples, explanations, fast path, batch path."""

from __future__ import annotations

import json

import numpy as np
import pytest

from service.classifier import TAGS, Prediction, load_model
from service.classifier.model import TriageModel
from service.config import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "models" / "triage-default.skops"

GUIDE_EXAMPLES = [
    (
        "RP STATES SON 22YOA OFF HIS MEDS, HEARING VOICES, BREAKING DISHES. NO WEAPONS SEEN",
        {"mental_health"},
    ),
    ("MALE PASSED OUT IN DRIVER SEAT AT LIGHT, POSS OD, RP GAVE NARCAN X1", {"drugs"}),
    ("DOMESTIC IN PROGRESS, BF HAS A KNIFE, FEMALE LOCKED IN BATHROOM", {"weapon"}),
    (
        "SUICIDAL FEMALE ON BRIDGE RAIL, STATES SHE TOOK PILLS AND HAS A RAZOR",
        {"mental_health", "drugs", "weapon"},
    ),
    ("LOUD MUSIC FROM APT 4B FOR 2 HRS, RP REQ EXTRA PATROL", {"routine"}),
    ("THEFT FROM AUTO OVERNIGHT, HANDGUN TAKEN FROM GLOVEBOX, NO SUSP INFO", {"routine"}),
    ("INTOX MALE YELLING AT CUSTOMERS, SAYS HE'LL GO GET HIS GUN FROM CAR", {"drugs", "weapon"}),
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return load_model(MODEL_PATH)


@pytest.mark.parametrize(("text", "expected"), GUIDE_EXAMPLES)
def test_labeling_guide_examples(model: TriageModel, text: str, expected: set[str]) -> None:
    assert set(model.classify(text).present) == expected


def test_prediction_shape_and_routine_rule(model: TriageModel) -> None:
    prediction = model.classify("SUBJ WAVING A MACHETE AT CARS")
    assert isinstance(prediction, Prediction)
    assert list(prediction.tags) == list(TAGS)
    others = [prediction.tags[t].present for t in TAGS if t != "routine"]
    assert prediction.tags["routine"].present == (not any(others))
    assert all(0.0 <= r.probability <= 1.0 for r in prediction.tags.values())


def test_evidence_quotes_the_cue(model: TriageModel) -> None:
    text = "LOUD ARGUMENT NEXT DOOR, NEIGHBOR NOW WAVING A MACHETE IN THE HALLWAY"
    weapon = model.classify(text).tags["weapon"]
    assert weapon.present
    assert any("MACHETE" in phrase for phrase in weapon.evidence)
    assert all(phrase in text for phrase in weapon.evidence)


def test_negated_cues_are_reported_for_absent_tags(model: TriageModel) -> None:
    prediction = model.classify("MALE HEARING VOICES IN THE LOBBY, NO WEAPONS SEEN, DENIES ETOH")
    assert not prediction.tags["weapon"].present
    assert any("WEAPONS" in phrase for phrase in prediction.tags["weapon"].negated)
    assert any("ETOH" in phrase for phrase in prediction.tags["drugs"].negated)


def test_explanation_is_json_ready(model: TriageModel) -> None:
    explanation = model.classify("POSS OD IN RESTROOM, NARCAN GIVEN").as_explanation()
    assert json.loads(json.dumps(explanation))["model_version"] == model.version
    assert set(explanation["tags"]) == set(TAGS)


def test_batch_equals_single(model: TriageModel) -> None:
    texts = [text for text, _ in GUIDE_EXAMPLES]
    batch = model.classify_many(texts)
    for text, prediction in zip(texts, batch, strict=True):
        single = model.classify(text)
        for tag in TAGS:
            assert prediction.tags[tag].probability == pytest.approx(
                single.tags[tag].probability, abs=1e-9
            )
            assert prediction.tags[tag].evidence == single.tags[tag].evidence


def test_fast_path_matches_the_sklearn_pipeline(model: TriageModel) -> None:
    texts = [text for text, _ in GUIDE_EXAMPLES] + ["", "   ", "NO WEAPONS"]
    fast = model.probabilities(texts)
    reference = np.column_stack([p[:, 1] for p in model.pipeline.predict_proba(texts)])
    assert np.abs(fast - reference).max() < 1e-5


def test_metadata_is_complete(model: TriageModel) -> None:
    meta = model.metadata
    for key in (
        "version",
        "created",
        "training_data",
        "libraries",
        "feature_config",
        "thresholds",
        "uncertain_bands",
        "metrics",
        "card",
        "fairness",
    ):
        assert key in meta
    assert len(meta["training_data"]["sha256"]) == 64
    assert MODEL_PATH.stat().st_size <= 20 * 1024 * 1024


def test_empty_note_is_routine(model: TriageModel) -> None:
    assert model.classify("").tags["routine"].present


@pytest.mark.parametrize(
    "text", ["HE SAID N'T", "n't", "N'T N'T GUN", "'s", "' '' 's 's", "RP'S N'T KNIFE", "'"]
)
def test_stray_apostrophe_fragments_classify(model: TriageModel, text: str) -> None:
    """A contraction with no word before it ("N'T") once produced an empty token and crashed."""
    prediction = model.classify(text)
    assert set(prediction.tags) == set(TAGS)
    assert model.classify_many([text, text])[0].present == prediction.present
