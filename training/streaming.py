"""Out-of-core training for large labeled files (1,000,000 notes in bounded memory).

Two passes over the file in chunks (``dataio.iter_chunks``):

1. normalize and count word n-grams with lossy counting (the table is pruned whenever it
   grows past ``max_table``), keeping the ``vocabulary`` most frequent;
2. vectorize each chunk (sublinear tf, l2 rows, cue groups) and update one
   ``SGDClassifier(loss="log_loss")`` per tag with ``partial_fit``; the last ``calibration``
   notes are held out to fit each tag's sigmoid calibrator and threshold.

The result is an ordinary ``TriageModel`` (same artifact format and fast path); it has no
character block. Run: ``python -m training.streaming DATA OUT``.
"""

from __future__ import annotations

import hashlib
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.linear_model import SGDClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from service.classifier.features import CompactTfidfVectorizer, CueGroupVectorizer, word_ngrams
from service.classifier.model import TriageModel
from service.classifier.normalize import NoteNormalizer
from service.classifier.pipeline import MODEL_TAGS
from training.dataio import LabeledNotes, iter_chunks
from training.train import choose_threshold, uncertain_band


def count_vocabulary(
    path: Path, normalizer: NoteNormalizer, chunk_size: int, vocabulary: int, max_table: int
) -> list[str]:
    """Most frequent word n-grams of the file, counted in bounded memory."""
    counts: Counter[str] = Counter()
    for chunk in iter_chunks(path, chunk_size=chunk_size):
        for doc in normalizer.transform(chunk.texts):
            counts.update(set(word_ngrams(doc)))
        if len(counts) > max_table:
            floor = sorted(counts.values())[len(counts) // 2]
            counts = Counter({k: v for k, v in counts.items() if v > floor})
    return sorted(term for term, _ in counts.most_common(vocabulary))


def _blocks(vocab: list[str]) -> FeatureUnion:
    word = CompactTfidfVectorizer(
        analyzer=word_ngrams, vocabulary=vocab, use_idf=False, sublinear_tf=True, dtype=np.float32
    )
    union = FeatureUnion([("word", word), ("cues", CueGroupVectorizer())])
    return union.fit(["_"])


def stream_fit(
    path: Path,
    *,
    chunk_size: int = 20_000,
    vocabulary: int = 40_000,
    max_table: int = 2_000_000,
    calibration: int = 20_000,
    epochs: int = 1,
    seed: int = 0,
) -> TriageModel:
    """Train a ``TriageModel`` from a labeled file too large for memory."""
    first = next(iter_chunks(path, chunk_size=chunk_size))
    normalizer = NoteNormalizer().fit(first.texts)
    union = _blocks(count_vocabulary(path, normalizer, chunk_size, vocabulary, max_table))
    models = [
        SGDClassifier(loss="log_loss", alpha=2e-6, random_state=seed + k)
        for k in range(len(MODEL_TAGS))
    ]
    held: list[LabeledNotes] = []
    for _ in range(epochs):
        held = []
        for chunk in iter_chunks(path, chunk_size=chunk_size):
            X = union.transform(normalizer.transform(chunk.texts))
            cut = len(chunk) if sum(len(h) for h in held) >= calibration else len(chunk) // 2
            for k, model in enumerate(models):
                model.partial_fit(X[:cut], chunk.labels[:cut, k], classes=[0, 1])
            if cut < len(chunk):
                held.append(chunk.subset(range(cut, len(chunk))))
    return _assemble(normalizer, union, models, _concat(held), _file_fingerprint(path))


def _concat(parts: list[LabeledNotes]) -> LabeledNotes:
    return LabeledNotes(
        [t for p in parts for t in p.texts],
        np.vstack([p.labels for p in parts]),
        [i for p in parts for i in p.ids],
        [k for p in parts for k in p.kinds],
    )


def _file_fingerprint(path: Path) -> str:
    """sha256 of the training file, read in blocks (the data never sits in memory whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _assemble(
    normalizer: NoteNormalizer,
    union: FeatureUnion,
    models: list[SGDClassifier],
    held: LabeledNotes,
    data_sha256: str,
) -> TriageModel:
    """Calibrate each tag on the held-out notes and wrap everything as a TriageModel."""
    X = union.transform(normalizer.transform(held.texts))
    estimators = []
    for k, model in enumerate(models):
        model.__dict__.pop("_loss_function_", None)  # a Cython loss object, not needed to predict
        calibrator = _SigmoidCalibration().fit(model.decision_function(X), held.labels[:, k])
        wrapper = CalibratedClassifierCV(model, method="sigmoid", ensemble=False)
        wrapper.calibrated_classifiers_ = [
            _CalibratedClassifier(model, [calibrator], classes=np.array([0, 1]), method="sigmoid")
        ]
        wrapper.classes_ = np.array([0, 1])
        estimators.append(wrapper)
    classify = MultiOutputClassifier(estimators[0])
    classify.estimators_ = estimators
    pipeline = Pipeline([("normalize", normalizer), ("features", union), ("classify", classify)])
    provisional = TriageModel(
        pipeline, dict.fromkeys(MODEL_TAGS, 0.5), dict.fromkeys(MODEL_TAGS, (0.25, 0.75)), {}
    )
    probs = provisional.probabilities(held.texts)
    thresholds = {
        t: choose_threshold(held.labels[:, k], probs[:, k], t) for k, t in enumerate(MODEL_TAGS)
    }
    bands = {t: uncertain_band(v) for t, v in thresholds.items()}
    # A version per training file, so a retrained model never collides in the registry.
    meta = {
        "version": f"streaming-{data_sha256[:12]}",
        "training_data": {"sha256": data_sha256},
        "feature_config": {"name": "streaming word+cues sgd"},
    }
    return TriageModel(pipeline, thresholds, bands, meta)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> dict[str, Any]:
    """``python -m training.streaming DATA OUT``: train, save, print time and peak memory."""
    from service.classifier.artifact import save_model

    start = time.perf_counter()
    model = stream_fit(Path(argv[1]))
    save_model(model, Path(argv[2]))
    figures = {
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "thresholds": model.thresholds,
    }
    print(figures)
    return figures


if __name__ == "__main__":
    main(sys.argv)
