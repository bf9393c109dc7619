"""Alert rules on the sentiment of a comment or feedback text: `sentiment` (label) and `sentiment_score` conditions
fire in the relay on the stored analysis (tests/alerts/test_text_rules.py: only once it is stored), work in the dry
run on analysed comments, and bad values are a 422 naming the condition. Both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete

from cxloop.storage.database import Database
from cxloop.text.models import TextAnalysis
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.alerts.conftest import add_rule, add_survey, fired, store_feedback, store_responses
from tests.text.conftest import analyses

ANGRY = "Terrible service, the engineer never arrived and nobody called back"
HAPPY = "Brilliant, the engineer was friendly and fixed it quickly!"


def test_sentiment_rules_fire_on_comments_and_feedback(db: Database) -> None:
    add_survey(db)
    negative = add_rule(db, {"field": "sentiment", "op": "=", "value": "negative"})
    strongly = add_rule(
        db, {"field": "sentiment_score", "op": "<=", "value": -0.3}, {"field": "nps", "op": ">=", "value": 7}
    )
    positive = add_rule(db, {"field": "sentiment", "op": "in", "value": ["Positive"]})
    responses = store_responses(
        db, {"nps": 2, "comment": ANGRY}, {"nps": 9, "comment": ANGRY}, {"nps": 10, "comment": HAPPY}, {"nps": 3}
    )
    feedback = store_feedback(db, {"text": "Awful app, it crashes every time I open it", "rating": 1}, {"text": HAPPY})
    stored = analyses(db)
    assert fired(db, negative) == [("response", responses[0]), ("response", responses[1]), ("feedback", feedback[0])]
    assert all(stored[s, i].sentiment_label == "negative" for s, i in fired(db, negative))
    assert fired(db, strongly) == [("response", responses[1])]  # a promoter whose words are angry
    assert fired(db, positive) == [("response", responses[2]), ("feedback", feedback[1])]


def test_the_dry_run_reads_analysed_comments_only(api: TestClient, db: Database) -> None:
    add_survey(db)
    ids = store_responses(db, {"nps": 2, "comment": ANGRY}, {"nps": 3, "comment": ANGRY})
    with db.unit_of_work(write=True) as session:  # as if the worker had not analysed the second one yet
        session.execute(delete(TextAnalysis).where(TextAnalysis.item_id == ids[1]))
    rule = {"name": "angry", "conditions": [{"field": "sentiment", "op": "=", "value": "negative"}]}
    tried = api.post("/api/v1/alert-rules/try", json={"rule": rule | {"actions": [{"kind": "notify"}]}})
    assert tried.status_code == 200 and (tried.json()["responses"], tried.json()["examined"]) == (1, 2), tried.text


def test_dry_run_and_bad_values(api: TestClient, db: Database) -> None:
    add_survey(db)
    store_responses(db, {"nps": 2, "comment": ANGRY}, {"nps": 10, "comment": HAPPY}, {"nps": 4})
    store_feedback(db, {"text": ANGRY})
    rule = {
        "name": "angry",
        "conditions": [{"field": "sentiment", "op": "=", "value": "negative"}],
        "actions": [{"kind": "notify"}],
    }
    tried = api.post("/api/v1/alert-rules/try", json={"rule": rule})
    assert tried.status_code == 200, tried.text
    assert (tried.json()["responses"], tried.json()["feedback"]) == (1, 1)
    for condition, field, words in (
        ({"field": "sentiment", "op": "=", "value": "angry"}, "conditions[0].value", "negative, neutral, positive"),
        ({"field": "sentiment", "op": "<=", "value": "negative"}, "conditions[0].op", "does not apply"),
        ({"field": "sentiment_score", "op": ">=", "value": 2}, "conditions[0].value", "-1 to 1 scale"),
        ({"field": "theme", "op": "contains", "value": "bill"}, "conditions[0].op", "does not apply"),
    ):
        reply = api.post("/api/v1/alert-rules", json=rule | {"conditions": [condition]})
        assert reply.status_code == 422, reply.text
        errors = reply.json()["errors"]
        assert errors[0]["field"] == field and words in errors[0]["message"], errors


def test_theme_rules_fire_on_the_themes_the_enrichment_stored(api: TestClient, db: Database) -> None:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        themes.add_rule(session, data=RuleCreate(name="Engineer visits", phrases=["engineer"]))
        themes.add_rule(session, data=RuleCreate(name="Billing", phrases=["invoice"]))
    visits = add_rule(db, {"field": "theme", "op": "=", "value": "engineer visits"})
    not_billing = add_rule(
        db, {"field": "theme", "op": "!=", "value": "Billing"}, {"field": "nps", "op": "<=", "value": 6}
    )
    responses = store_responses(
        db, {"nps": 2, "comment": ANGRY}, {"nps": 3, "comment": "The invoice was wrong"}, {"nps": 1}
    )
    assert fired(db, visits) == [("response", responses[0])]
    assert fired(db, not_billing) == [("response", responses[0])]  # no text: no themes to judge, never holds
    rule = {"name": "visits", "conditions": [{"field": "theme", "op": "in", "value": ["Engineer visits"]}]}
    tried = api.post("/api/v1/alert-rules/try", json={"rule": rule | {"actions": [{"kind": "notify"}]}})
    assert tried.status_code == 200 and tried.json()["responses"] == 1, tried.text
