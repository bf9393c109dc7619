"""Rules on sentiment or themes wait for the worker's text enrichment (`response.enriched`, `feedback.enriched`):
they read stored analyses only, nothing is scored or encoded while a transaction is open, each fires once, rules on
scores alone fire on `response.received` as before, and an item whose analysis is skipped (no text) or keeps failing
is still decided. The real relay and the real services, both databases; the sentiment model and the theme matching
are wrapped (and called through) only to look at the engine while they run, or to fail on purpose."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cxloop.alerts import service as alerts
from cxloop.alerts.fields import Source
from cxloop.alerts.models import Alert
from cxloop.cases import service as cases
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.clock import utcnow
from cxloop.jobs import service as outbox
from cxloop.jobs.enums import DeliveryStatus
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.jobs.relay import RelayPolicy
from cxloop.storage.database import Database
from cxloop.text import enrichment
from cxloop.text import service as text
from cxloop.text.sentiment import learned
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.alerts.conftest import (
    ANGRY_DETRACTOR,
    add_rule,
    add_survey,
    alert_count,
    fired,
    relay,
    store_feedback,
    store_responses,
)
from tests.text.conftest import analyses
from tests.text.open_transactions import OpenTransactions

ANGRY = "Terrible service, the engineer never arrived and nobody called back"
HAPPY = "Brilliant, the engineer was friendly and fixed it quickly!"
POISON = "poison pill"


@pytest.fixture
def watched(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenTransactions]:
    add_survey(db)
    watch = OpenTransactions()
    monkeypatch.setattr(text, "DAY_ONE", watch.scorer())
    monkeypatch.setattr(themes, "_assignments", watch.matcher(themes._assignments))
    yield watch
    watch.close()


def _deliveries(db: Database, handler: str) -> list[tuple[str, int]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxDelivery.status, OutboxDelivery.attempts)
            .where(OutboxDelivery.handler == handler)
            .order_by(OutboxDelivery.id)
        )
        return [(status, attempts) for status, attempts in rows]


def _retry_now(db: Database) -> None:
    """The backoff of failed deliveries runs out (as it would in seconds)."""
    with db.unit_of_work(write=True) as session:
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.status == DeliveryStatus.pending.value)
            .values(next_attempt_at=utcnow())
        )


def test_nothing_is_scored_or_matched_while_a_transaction_is_open(
    api: TestClient, db: Database, watched: OpenTransactions
) -> None:
    with db.unit_of_work(write=True) as session:
        themes.add_rule(session, data=RuleCreate(name="Engineer visits", phrases=["engineer"]))
    negative = add_rule(db, {"field": "sentiment", "op": "=", "value": "negative"})
    visits = add_rule(db, {"field": "theme", "op": "=", "value": "Engineer visits"})
    angry_detractor = add_rule(
        db, {"field": "sentiment_score", "op": "<=", "value": -0.3}, {"field": "nps", "op": "<=", "value": 6}
    )
    responses = store_responses(db, {"nps": 2, "comment": ANGRY}, {"nps": 10, "comment": HAPPY}, {"nps": 1})
    (review,) = store_feedback(db, {"text": "Awful app, it crashes every time I open it", "rating": 1})
    assert fired(db, negative) == [("response", responses[0]), ("feedback", review)]
    assert fired(db, visits) == [("response", responses[0]), ("response", responses[1])]
    assert fired(db, angry_detractor) == [("response", responses[0])]
    assert watched.seen_while_scoring and set(watched.seen_while_scoring) == {0}
    assert watched.seen_while_matching and set(watched.seen_while_matching) == {0}
    scored, matched = len(watched.seen_while_scoring), len(watched.seen_while_matching)
    rule = {"name": "angry", "conditions": [{"field": "sentiment", "op": "=", "value": "negative"}]}
    tried = api.post("/api/v1/alert-rules/try", json={"rule": rule | {"actions": [{"kind": "notify"}]}})
    assert tried.status_code == 200 and (tried.json()["responses"], tried.json()["feedback"]) == (1, 1), tried.text
    with db.unit_of_work(write=True) as session:  # the handlers' own call, on both events
        assert alerts.fire(session, source=Source.response, ids=responses) == []
        assert alerts.fire(session, source=Source.response, ids=responses, analysed=True) == []
    # the dry run and the alert handlers read the stored analysis: nothing more was scored or matched
    assert (len(watched.seen_while_scoring), len(watched.seen_while_matching)) == (scored, matched)


def test_a_text_rule_fires_once_after_the_enrichment_and_a_score_rule_at_once(db: Database) -> None:
    add_survey(db)
    both = add_rule(db, *ANGRY_DETRACTOR, actions=[{"kind": "open_case"}, {"kind": "notify"}])
    detractors = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
    with db.unit_of_work(write=True) as session:
        items = [
            ResponseCreate(survey="pulse", nps=2, comment=ANGRY, customer_external_id="c-1"),
            ResponseCreate(survey="pulse", nps=3, comment=HAPPY, customer_external_id="c-2"),
        ]
        ids = collection.record_responses(session, items=items).ids
    with db.unit_of_work(write=True) as session:  # what `alerts.evaluate_responses` does on response.received
        made = alerts.fire(session, source=Source.response, ids=ids)
    assert len(made) == 2 and fired(db, detractors) == [("response", i) for i in ids] and fired(db, both) == []
    relay(db)
    assert fired(db, both) == [("response", ids[0])]
    with db.unit_of_work() as session:
        [alert] = session.scalars(select(Alert).where(Alert.rule_id == both)).all()
        [case] = cases.list_cases(session, limit=10)[0]
        analysed_at = session.scalar(select(OutboxEvent.created_at).where(OutboxEvent.name == "response.enriched"))
    assert analysed_at is not None and alert.fired_at >= analysed_at and alert.case_id == case.id
    assert analyses(db)["response", ids[0]].sentiment_label == "negative"
    for name in ("response.received", "response.enriched", "response.received"):  # replays: nothing fires again
        with db.unit_of_work(write=True) as session:
            assert outbox.replay_events(session, name=name) >= 1
        relay(db)
    assert fired(db, both) == [("response", ids[0])] and alert_count(db) == 3
    with db.unit_of_work() as session:
        assert len(cases.list_cases(session, limit=10)[0]) == 1
        payloads = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "alert.fired")).all()
    assert sorted(i for p in payloads for i in p["alert_ids"]) == sorted({alert.id, *made})


def test_items_without_text_or_with_a_long_text_are_decided(db: Database) -> None:
    add_survey(db)
    both = add_rule(
        db, {"field": "nps", "op": "<=", "value": 6}, {"field": "sentiment", "op": "!=", "value": "positive"}
    )
    detractors = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
    unhappy = add_rule(
        db, {"field": "rating", "op": "<=", "value": 2}, {"field": "sentiment", "op": "=", "value": "negative"}
    )
    silent, blank = store_responses(db, {"nps": 1}, {"nps": 3, "comment": ""})
    words = "Awful app, it crashes every time I open it. " * 500  # 22,500 characters: analysed up to 20,000
    (long,) = store_feedback(db, {"text": words, "rating": 1})
    assert set(analyses(db)) == {("feedback", long)}
    assert fired(db, detractors) == [("response", silent), ("response", blank)]
    assert fired(db, both) == []  # no text, no sentiment: a text condition never holds, but the rule was decided
    assert fired(db, unhappy) == [("feedback", long)]
    assert _deliveries(db, "alerts.evaluate_response_texts") == [("done", 1)]
    assert _deliveries(db, "alerts.evaluate_feedback_texts") == [("done", 1)]


def test_an_analysis_that_keeps_failing_gives_up_and_the_rules_are_decided(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert RelayPolicy().max_attempts > enrichment.GIVE_UP_AT  # it gives up before its delivery would be dead
    add_survey(db)
    watch = OpenTransactions()
    broken = {"all": True}

    def score(texts: Sequence[str]) -> learned.Scored:
        if broken["all"] or any(POISON in t for t in texts):
            raise RuntimeError("the model crashed")
        return learned.day_one(texts)

    monkeypatch.setattr(text, "DAY_ONE", watch.scorer(score))
    try:
        angry = add_rule(db, *ANGRY_DETRACTOR)
        detractors = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
        ids = store_responses(db, {"nps": 2, "comment": ANGRY}, {"nps": 1, "comment": f"{ANGRY} {POISON}"})
        assert fired(db, detractors) == [("response", i) for i in ids]  # at once, enrichment or not
        assert fired(db, angry) == [] and _deliveries(db, "text.enrich_responses") == [("pending", 1)]
        for attempt in range(2, enrichment.GIVE_UP_AT):
            _retry_now(db)
            relay(db)
            assert _deliveries(db, "text.enrich_responses") == [("pending", attempt)] and fired(db, angry) == []
        broken["all"] = False  # the last try analyses one by one: only the poisoned comment still fails
        _retry_now(db)
        relay(db)
        assert _deliveries(db, "text.enrich_responses") == [("done", enrichment.GIVE_UP_AT)]
        assert set(analyses(db)) == {("response", ids[0])}
        assert fired(db, angry) == [("response", ids[0])]
        assert _deliveries(db, "alerts.evaluate_response_texts") == [("done", 1)]
        assert set(watch.seen_while_scoring) == {0}
    finally:
        watch.close()
