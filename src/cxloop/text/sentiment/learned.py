"""The sentiment model learned from the organisation's own scored comments: TF-IDF of word 1-2-grams and character
2-5-grams (within words), plus the day-one lexicon score as one more feature, into a class-balanced logistic
regression. It scores a comment P(positive) - P(negative), in [-1, 1], and labels it with the likeliest class.

`evaluate` cross-validates it on stratified folds and scores the day-one model on the very same folds, so the two
macro-F1 figures compare like with like.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxloop.text.enums import SentimentLabel
from cxloop.text.sentiment import lexicon

CLASSES = (SentimentLabel.negative, SentimentLabel.neutral, SentimentLabel.positive)
FOLDS = 5
MIN_PER_CLASS = 20  # of negative and of positive labels, so every fold holds both
MIN_LABELLED = 200
MAX_TRAIN = 50_000  # newest labelled comments kept; bounds memory and time
_SEED = 0


def _lexicon_feature(texts: Sequence[str]) -> Any:
    return np.array([[lexicon.score(t)] for t in texts])


def build() -> Any:
    """An unfitted pipeline (scikit-learn imported here, so importing this module stays light)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=100_000)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=150_000
                ),
            ),
            ("lexicon", FunctionTransformer(_lexicon_feature)),
        ]
    )
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2_000)
    return Pipeline([("features", features), ("model", model)])


@dataclass(frozen=True)
class Scored:
    labels: list[SentimentLabel]
    scores: list[float]


def predict(pipeline: Any, texts: Sequence[str]) -> Scored:
    """Labels and scores in [-1, 1] of `texts` by a fitted pipeline."""
    if not texts:
        return Scored([], [])
    probabilities = pipeline.predict_proba(list(texts))
    order = [str(c) for c in pipeline.classes_]
    neg = probabilities[:, order.index("negative")] if "negative" in order else 0.0
    pos = probabilities[:, order.index("positive")] if "positive" in order else 0.0
    scores = np.clip(pos - neg, -1.0, 1.0)
    best = probabilities.argmax(axis=1)
    return Scored([SentimentLabel(order[i]) for i in best], [round(float(s), 4) for s in scores])


def day_one(texts: Sequence[str]) -> Scored:
    scores = [lexicon.score(t) for t in texts]
    return Scored([lexicon.label_of(s) for s in scores], [round(s, 4) for s in scores])


def binary_predictions(scores: Sequence[float]) -> list[str]:
    """Positive or negative by the score's sign; a score of exactly 0 counts as negative (the same rule for every
    model compared, documented in docs/text-analytics.md)."""
    return ["positive" if s > 0 else "negative" for s in scores]


def macro_f1(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(truth), list(predicted), labels=list(classes), average="macro", zero_division=0))


def binary_f1(truth: Sequence[str], scores: Sequence[float]) -> float:
    """Positive/negative macro-F1 over the rows labelled positive or negative."""
    kept = [(t, s) for t, s in zip(truth, scores, strict=True) if t != "neutral"]
    if not kept:
        return 0.0
    return macro_f1([t for t, _ in kept], binary_predictions([s for _, s in kept]), ("negative", "positive"))


@dataclass(frozen=True)
class Evaluation:
    folds: int
    f1_learned: float
    f1_day_one: float
    f1_learned_binary: float
    f1_day_one_binary: float

    @property
    def learned_is_better(self) -> bool:
        return self.f1_learned > self.f1_day_one


def evaluate(texts: Sequence[str], labels: Sequence[str], *, folds: int = FOLDS) -> Evaluation:
    """Cross-validated macro-F1 (3 classes, and positive/negative) of the learned and the day-one model, same folds."""
    from sklearn.model_selection import StratifiedKFold

    counts = {c: list(labels).count(c) for c in set(labels)}
    folds = max(2, min(folds, *counts.values()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=_SEED)
    texts_array = np.array(texts, dtype=object)
    labels_array = np.array(labels, dtype=object)
    three = ("negative", "neutral", "positive")
    learned_3, day_3, learned_2, day_2 = [], [], [], []
    for train, test in splitter.split(texts_array, labels_array):
        pipeline = build().fit(list(texts_array[train]), list(labels_array[train]))
        truth = list(labels_array[test])
        mine = predict(pipeline, list(texts_array[test]))
        base = day_one(list(texts_array[test]))
        learned_3.append(macro_f1(truth, [str(x) for x in mine.labels], three))
        day_3.append(macro_f1(truth, [str(x) for x in base.labels], three))
        learned_2.append(binary_f1(truth, mine.scores))
        day_2.append(binary_f1(truth, base.scores))
    return Evaluation(
        folds=folds,
        f1_learned=round(float(np.mean(learned_3)), 4),
        f1_day_one=round(float(np.mean(day_3)), 4),
        f1_learned_binary=round(float(np.mean(learned_2)), 4),
        f1_day_one_binary=round(float(np.mean(day_2)), 4),
    )


def fit(texts: Sequence[str], labels: Sequence[str]) -> Any:
    return build().fit(list(texts), list(labels))


def dumps(pipeline: Any) -> bytes:
    return pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)


def loads(blob: bytes) -> Any:
    """A pipeline this installation pickled itself (text_sentiment_models.blob is never taken from outside)."""
    return pickle.loads(blob)  # noqa: S301
