"""The per-class decision biases of the learned blend (text/sentiment/learned.py, `decision_bias`): chosen on
inner cross-validation folds of the comments they are given and nothing else, here with the real TF-IDF model
(no MiniLM needed); the model on embeddings that uses them is tested in test_learning_minilm.py."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from cxloop.text.sentiment import learned
from tests.text.conftest import org_comments


def _labelled(n: int) -> tuple[list[str], list[str]]:
    rows = org_comments(n)
    texts = [f"{r['comment']} (ref {i})" for i, r in enumerate(rows)]  # each comment told apart by its text
    labels = ["negative" if r["nps"] <= 6 else "neutral" if r["nps"] <= 8 else "positive" for r in rows]
    return texts, labels


def test_biases_come_from_out_of_fold_probabilities_of_the_given_comments_only() -> None:
    texts, labels = _labelled(240)
    fitted: list[list[str]] = []

    def make() -> Any:  # the real TF-IDF model, its training comments recorded
        model = learned.build(learned.TFIDF)
        fit = model.fit
        model.fit = lambda x, y: (fitted.append(list(x)), fit(x, y))[1]
        return model

    bias = learned.decision_bias(texts, labels, make)
    assert len(fitted) == learned.INNER_FOLDS
    held_out = [set(texts) - set(seen) for seen in fitted]
    assert all(set(seen) < set(texts) for seen in fitted)  # each inner model misses the comments it then scores
    assert sum(len(h) for h in held_out) == len(texts) and set().union(*held_out) == set(texts)  # each once
    assert bias.shape == (3,) and bias[0] == 0.0
    assert all(np.isclose(b, learned._BIAS_GRID).any() for b in bias[1:])


def test_no_bias_when_a_class_is_too_small_to_tune_on() -> None:
    texts, labels = _labelled(240)
    neutral = [i for i, label in enumerate(labels) if label == "neutral"]
    kept = [i for i in range(len(texts)) if i not in neutral[learned.INNER_FOLDS - 1 :]]
    texts, labels = [texts[i] for i in kept], [labels[i] for i in kept]
    assert Counter(labels)["neutral"] == learned.INNER_FOLDS - 1
    assert learned.decision_bias(texts, labels, lambda: learned.build(learned.TFIDF)).tolist() == [0.0, 0.0, 0.0]


def test_the_grids_macro_f1_is_scikit_learns() -> None:
    rng = np.random.default_rng(3)
    truth, predicted = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    predicted[predicted == 2] = 1  # a class never predicted: its F1 is 0, as scikit-learn's zero_division=0
    expected = f1_score(truth, predicted, labels=[0, 1, 2], average="macro", zero_division=0)
    assert np.isclose(learned._index_macro_f1(truth, predicted, 3), expected)


def test_a_bias_moves_the_label_and_never_the_score() -> None:
    texts, labels = _labelled(240)
    model = learned.fit(texts, labels)
    plain = learned.predict(model, ["kiosk jammed again", "zippy checkout", "ordered the usual bundle"])
    model.bias_ = np.array([0.0, 30.0, 0.0])  # far enough to make every comment neutral
    pushed = learned.predict(model, ["kiosk jammed again", "zippy checkout", "ordered the usual bundle"])
    assert [x.value for x in plain.labels] == ["negative", "positive", "neutral"]
    assert [x.value for x in pushed.labels] == ["neutral"] * 3 and pushed.scores == plain.scores
