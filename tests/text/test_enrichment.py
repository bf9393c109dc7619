"""Enrichment in the worker (the real relay on `response.received` / `feedback.received`), exactly once through
replays, and `cxloop text enrich` for history: pending only, `--all`, resumable in batches. Both databases."""

from __future__ import annotations

from sqlalchemy import delete
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.jobs import service as outbox
from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from tests.text.conftest import add_survey, analyses, relay, store_feedback, store_responses


def test_the_worker_enriches_new_comments_and_feedback(db: Database) -> None:
    add_survey(db)
    ids = store_responses(
        db,
        {"nps": 2, "comment": "Terrible service, the engineer never arrived. Call me on 07700 900123."},
        {"nps": 10, "comment": "Brilliant, the engineer was friendly and fixed it quickly!"},
        {"nps": 8},
    )
    feedback = store_feedback(db, {"text": "Awful app, it crashes every time I open it", "rating": 1})
    found = analyses(db)
    assert set(found) == {("response", ids[0]), ("response", ids[1]), ("feedback", feedback[0])}
    bad, good, item = found["response", ids[0]], found["response", ids[1]], found["feedback", feedback[0]]
    assert bad.sentiment_label == "negative" and bad.sentiment_score < -0.3
    assert good.sentiment_label == "positive" and good.sentiment_score > 0.3
    assert item.sentiment_label == "negative" and item.field == "text" and bad.field == "comment"
    assert bad.language == "en" and bad.model == "lexicon-1"
    assert "07700" not in bad.masked_text and "[PHONE]" in bad.masked_text and bad.pii == {"PHONE": 1}
    assert "engineer" in " ".join(bad.key_phrases)


def test_a_replayed_event_changes_nothing(db: Database) -> None:
    add_survey(db)
    ids = store_responses(db, {"nps": 3, "comment": "Slow and rude"})
    before = analyses(db)
    with db.unit_of_work(write=True) as session:
        outbox.replay_events(session, name="response.received")
    relay(db)
    after = analyses(db)
    assert list(after) == list(before) == [("response", ids[0])]
    assert after["response", ids[0]].sentiment_score == before["response", ids[0]].sentiment_score


def test_enrich_analyses_what_is_missing_then_everything_again(db: Database, cli: CliRunner) -> None:
    add_survey(db)
    ids = store_responses(db, *({"nps": n % 11, "comment": f"comment number {n}, quite good"} for n in range(25)))
    store_feedback(db, {"text": "Lovely staff"})
    with db.unit_of_work(write=True) as session:  # as if stored before enrichment existed
        session.execute(
            delete(TextAnalysis).where(TextAnalysis.item_kind == "response", TextAnalysis.item_id.in_(ids[:20]))
        )
    assert len(analyses(db)) == 6
    run = cli.invoke(app, ["text", "enrich", "--batch-size", "100"])
    assert run.exit_code == 0, run.output
    assert "analysed 20 texts" in run.output
    assert len(analyses(db)) == 26
    again = cli.invoke(app, ["text", "enrich"])
    assert "analysed 0 texts" in again.output
    everything = cli.invoke(app, ["text", "enrich", "--all"])
    assert everything.exit_code == 0 and "analysed 26 texts" in everything.output
    assert len(analyses(db)) == 26
