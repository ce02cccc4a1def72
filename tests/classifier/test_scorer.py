"""The one-pass feature reader of the fast scorer against the feature extractors it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from service.classifier import Prediction, load_model
from service.classifier.explain import contributions
from service.classifier.features import affirmed_words, word_ngrams
from service.classifier.model import TriageModel
from service.config import PROJECT_ROOT

NOTES = [
    "RP STATES HE STOLE A HANDGUN FROM THE CAR, GUN FOR SALE ON LINE",
    "MALE SWINGING A POOL CUE AT CUSTOMERS. SELLING KNIVES. NO WEAPONS SEEN",
    "STOLEN RIFLE\nSUBJ WAVING A BAT AND A KNIFE, DENIES SI, HI. UNK IF ARMED",
    "PAWN SHOP REPORTS HANDGUN | SWINGING, SWINGING BAT, HOLDING KNIFE, OFF HIS MEDS",
    "10-96 W/KNIFE 22YOA HEARING VOICES, POSS OD, NARCAN X2, SHOTS FIRED ON 5TH ST",
    "",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return load_model(PROJECT_ROOT / "models" / "triage-default.skops")


@pytest.mark.parametrize("text", NOTES)
def test_features_equal_the_extractors(model: TriageModel, text: str) -> None:
    scorer = model.scorer
    doc = model.normalizer.transform([text])[0]
    feats = scorer.features(doc.split(), spots=True)
    counts: dict[int, int] = {}
    for feature in word_ngrams(doc):
        j = scorer.word_vocab.get(feature)
        if j is not None:
            counts[j] = counts.get(j, 0) + 1
    assert feats.counts == counts
    assert list(feats.counts) == list(counts)  # first-occurrence order: same sums
    assert scorer.cue_vec is not None
    assert feats.groups == scorer.cue_vec.doc_groups(word_ngrams(doc), doc)
    assert feats.affirmed == affirmed_words(doc)


def test_pattern_groups_are_found(model: TriageModel) -> None:
    scorer, cue_vec = model.scorer, model.scorer.cue_vec
    assert cue_vec is not None
    for text in NOTES[:4]:
        doc = model.normalizer.transform([text])[0]
        expected = {column for column, _ in cue_vec.pattern_spots(doc)}
        assert expected, text  # each of these notes has a pattern
        assert expected <= scorer.features(doc.split()).groups


@pytest.mark.parametrize("text", NOTES)
def test_explanation_reuses_the_scored_character_dots(model: TriageModel, text: str) -> None:
    note = model.normalizer.analyze(text)
    tokens = note.feature_tokens()
    _, feats, norm = model.scorer.logits_of_tokens(tokens, spots=True)
    reused = contributions(model.scorer, note, tokens, feats, norm)
    feats.char_dots = None  # forces the dots to be computed again
    fresh = contributions(model.scorer, note, tokens, feats, norm)
    assert np.array_equal(reused, fresh)


def test_retired_caches_give_the_same_outputs(
    model: TriageModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With caches of five words (retired over and over, mid-note too), every output equals
    the shipped model's with its caches warm."""
    from service.classifier import scorer as scorer_module

    expected = [_full(model.classify(text)) for text in NOTES * 2]
    logits = [model.scorer.logits(doc) for doc in model.normalizer.transform(NOTES)]
    monkeypatch.setattr(scorer_module, "_CACHE_LIMIT", 5)
    small = load_model(PROJECT_ROOT / "models" / "triage-default.skops")
    assert [_full(small.classify(text)) for text in NOTES * 2] == expected
    docs = small.normalizer.transform(NOTES)
    assert all(np.array_equal(small.scorer.logits(d), z) for d, z in zip(docs, logits, strict=True))


def _full(prediction: Prediction) -> tuple[dict[str, object], list[float]]:
    """The explanation and the unrounded probabilities."""
    return prediction.as_explanation(), [r.probability for r in prediction.tags.values()]


@pytest.mark.parametrize(
    "text",
    [
        *NOTES,
        "UNIT 4 AT 1412 MAIN ST, (KNIFE) W/M 22YOA... NO WPNS.HEARING",
        "  NO WPNS\n\n\tUNK IF ARMED,  W/KNIFE 22YOA \r\n10-96\u00a0 HEARING VOICES.\n ",
        "\n\nSUBJ W/ GUN\n",
        "   ",
    ],
)
def test_spans_on_demand_equal_the_computed_spans(model: TriageModel, text: str) -> None:
    engine = model.normalizer.engine()
    note = engine.analyze(text)
    words, starts, ends = engine._second_pass(*engine._tokenize_spaced(text))
    assert note.tokens == words
    assert list(note.starts) == starts and list(note.ends) == ends
    assert note.starts[1:3] == starts[1:3]
