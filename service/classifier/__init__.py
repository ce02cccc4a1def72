"""Dispatch-note classifier: normalization, features, calibrated per-tag models, explanations.

Public interface (see docs/model.md)::

    model = load_model("models/triage-default.skops")
    prediction = model.classify("RP STATES SON OFF HIS MEDS, HEARING VOICES. NO WEAPONS SEEN")
    prediction.tags["mental_health"].present  # True

Serving code imports only numpy, scipy, scikit-learn and skops from here.
"""

from .artifact import TRUSTED_TYPES, UntrustedArtifactError, load_model, save_model
from .jargon import JargonEntry, JargonError, load_jargon
from .model import TAGS, Prediction, TagResult, TriageModel

__all__ = [
    "TAGS",
    "TRUSTED_TYPES",
    "JargonEntry",
    "JargonError",
    "Prediction",
    "TagResult",
    "TriageModel",
    "UntrustedArtifactError",
    "load_jargon",
    "load_model",
    "save_model",
]
