"""The scikit-learn pipeline behind ``TriageModel`` and its configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from .features import CompactTfidfVectorizer, CueGroupVectorizer, affirmed_text, word_ngrams
from .normalize import NoteNormalizer

MODEL_TAGS = ("mental_health", "drugs", "weapon")


@dataclass
class FeatureConfig:
    """Everything that defines a candidate model (stored in the artifact)."""

    name: str = "word+char+negex"
    negation: bool = True
    demographics: bool = True
    typos: bool = True
    use_jargon: bool = True
    word: bool = True
    char: bool = True
    cues: bool = True
    word_max_features: int = 20_000
    char_max_features: int = 30_000
    word_min_df: int = 2
    char_min_df: int = 3
    char_ngram: tuple[int, int] = (2, 5)
    word_norm: str | None = "l2"
    char_norm: str | None = "l2"
    C: float = 4.0
    class_weight: str | None = "balanced"
    calibration_cv: int = 3
    solver: str = "lbfgs"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form (tuples become lists)."""
        out = asdict(self)
        out["char_ngram"] = list(self.char_ngram)
        return out


def build_pipeline(config: FeatureConfig, jargon: list[list[str]] | None = None) -> Pipeline:
    """An unfitted pipeline: normalizer, word and character TF-IDF, one calibrated LR per tag."""
    normalizer = NoteNormalizer(
        jargon=jargon,
        negation=config.negation,
        demographics=config.demographics,
        typos=config.typos,
        use_jargon=config.use_jargon,
    )
    blocks = []
    if config.word:
        blocks.append(
            (
                "word",
                CompactTfidfVectorizer(
                    analyzer=word_ngrams,
                    min_df=config.word_min_df,
                    max_features=config.word_max_features,
                    sublinear_tf=True,
                    dtype=np.float32,
                    norm=config.word_norm,
                ),
            )
        )
    if config.char:
        blocks.append(
            (
                "char",
                CompactTfidfVectorizer(
                    analyzer="char_wb",
                    preprocessor=affirmed_text,
                    lowercase=False,
                    ngram_range=config.char_ngram,
                    min_df=config.char_min_df,
                    max_features=config.char_max_features,
                    sublinear_tf=False,
                    dtype=np.float32,
                    norm=config.char_norm,
                ),
            )
        )
    if config.cues:
        blocks.append(("cues", CueGroupVectorizer()))
    classifier = LogisticRegression(
        C=config.C, class_weight=config.class_weight, max_iter=3000, solver=config.solver
    )
    calibrated = CalibratedClassifierCV(
        classifier, method="sigmoid", cv=config.calibration_cv, ensemble=False
    )
    return Pipeline(
        [
            ("normalize", normalizer),
            ("features", FeatureUnion(blocks)),
            ("classify", MultiOutputClassifier(calibrated)),
        ]
    )
