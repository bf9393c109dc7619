"""Analysing never holds a transaction: the worker's enrichment and `cxloop text enrich` read, analyse with no
transaction open (where MiniLM would encode), then store in a short write transaction that re-checks the items.
Both databases, the real relay and the real CLI; the sentiment model is wrapped (and called through) only to look
at the engine while it scores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.collection.models import Response
from cxloop.storage.database import Database
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.models import TextAnalysis
from tests.text.conftest import add_survey, analyses, store_feedback, store_responses
from tests.text.open_transactions import OpenTransactions


@pytest.fixture
def watched(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenTransactions]:
    add_survey(db)
    watch = OpenTransactions()
    monkeypatch.setattr(text, "DAY_ONE", watch.scorer())
    yield watch
    watch.close()


def test_the_worker_scores_with_no_transaction_open(db: Database, watched: OpenTransactions) -> None:
    ids = store_responses(db, {"nps": 1, "comment": "Awful, nobody called back"}, {"nps": 10, "comment": "Superb"})
    feedback = store_feedback(db, {"text": "Lovely staff, quick refund", "rating": 5})
    found = analyses(db)
    assert set(found) == {("response", ids[0]), ("response", ids[1]), ("feedback", feedback[0])}
    assert found["response", ids[0]].sentiment_label == "negative"
    assert found["feedback", feedback[0]].sentiment_label == "positive"
    assert watched.seen_while_scoring and set(watched.seen_while_scoring) == {0}


def test_enrich_scores_each_batch_with_no_transaction_open(
    db: Database, watched: OpenTransactions, cli: CliRunner
) -> None:
    ids = store_responses(db, *({"nps": 9, "comment": f"great visit number {n}"} for n in range(250)))
    with db.unit_of_work(write=True) as session:
        session.execute(delete(TextAnalysis))
    watched.seen_while_scoring.clear()
    began = watched.began
    run = cli.invoke(app, ["text", "enrich", "--batch-size", "100"])
    assert run.exit_code == 0, run.output
    assert "analysed 250 texts" in run.output and len(analyses(db)) == len(ids) == 250
    assert watched.began > began  # the CLI's own engine is watched too
    assert len(watched.seen_while_scoring) == 3 and set(watched.seen_while_scoring) == {0}


def test_the_write_rechecks_what_changed_while_analysing(db: Database, watched: OpenTransactions) -> None:
    ids = store_responses(db, *({"nps": 5, "comment": f"slow delivery {n}"} for n in range(4)))
    with db.unit_of_work(write=True) as session:
        session.execute(delete(TextAnalysis))
    analysed = text.analyse_items(db, kind=ItemKind.response, ids=ids)
    assert len(analysed.results) == 4
    with db.unit_of_work(write=True) as session:  # meanwhile: one erased, one edited, one analysed by the worker
        session.execute(update(Response).where(Response.id == ids[0]).values(comment=None))
        session.execute(update(Response).where(Response.id == ids[1]).values(comment="quick delivery after all"))
        text.enrich_items(session, kind=ItemKind.response, ids=[ids[2]])
    with db.unit_of_work(write=True) as session:
        assert text.store_analysed(session, analysed, replace=False) == 1
    assert set(analyses(db)) == {("response", ids[2]), ("response", ids[3])}
    with db.unit_of_work(write=True) as session:  # the worker's replace: the unchanged ones, once each
        assert text.store_analysed(session, analysed) == 2
    found = analyses(db)
    assert set(found) == {("response", ids[2]), ("response", ids[3])}
    assert found["response", ids[3]].masked_text == "slow delivery 3"
