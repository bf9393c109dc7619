"""Rules fire in the relay on stored responses and feedback: thresholds per scale (CES: higher is easier, so hard
is low, docs/metrics.md), text, segment and account conditions, exactly once per rule and item through replays and
two relays at once, cases opened, tags, and `alert.fired` for notifying rules. Both databases."""

from __future__ import annotations

import threading

from sqlalchemy import select

from cxloop.alerts import service as alerts
from cxloop.alerts.schemas import AlertRead, RuleUpdate
from cxloop.cases import service as cases
from cxloop.customers import service as customers
from cxloop.jobs import service as outbox
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.alerts.conftest import add_rule, add_survey, alert_count, fired, relay, store_feedback, store_responses
from tests.factories.customers import customer_data, make_account, make_segment


def test_thresholds_follow_each_scale(db: Database) -> None:
    add_survey(db)
    nps = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
    csat = add_rule(db, {"field": "csat", "op": "<=", "value": 2})
    ces = add_rule(db, {"field": "ces", "op": "<=", "value": 3})  # 1-7, higher is easier: 1-3 was hard
    ids = store_responses(
        db,
        {"nps": 6, "csat": 5, "ces": 7},
        {"nps": 7, "csat": 2, "ces": 7},
        {"nps": 10, "csat": 5, "ces": 2},
        {"nps": 9, "csat": 3, "ces": 4},
        {"comment": "no scores at all"},
    )
    assert fired(db, nps) == [("response", ids[0])]
    assert fired(db, csat) == [("response", ids[1])]
    assert fired(db, ces) == [("response", ids[2])]


def test_text_contains_and_rating_on_feedback_and_comments(db: Database) -> None:
    add_survey(db)
    refund = add_rule(db, {"field": "text", "op": "contains", "value": "Refund"})
    low = add_rule(db, {"field": "rating", "op": "<=", "value": 2}, {"field": "channel", "op": "=", "value": "review"})
    feedback = store_feedback(
        db, {"text": "I want a REFUND now", "rating": 4}, {"text": "Slow delivery", "rating": 1}, {"text": "Fine"}
    )
    responses = store_responses(db, {"nps": 3, "comment": "where is my refund?"}, {"nps": 3, "comment": "meh"})
    assert fired(db, refund) == [("feedback", feedback[0]), ("response", responses[0])]
    assert fired(db, low) == [("feedback", feedback[1])]  # rating is a feedback field: responses never match


def test_segment_account_tier_and_arr(db: Database) -> None:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        make_segment(session, "plan = enterprise", key="enterprise")
        account = make_account(session, name="Acme", plan="gold", arr=120_000)
        acme = customers.get_account(session, account_id=account)
        assert acme is not None
        customers.upsert_customers(
            session,
            items=[
                customer_data(
                    external_id="big", attributes={"plan": "enterprise"}, account_external_id=acme.external_id
                ),
                customer_data(external_id="small", attributes={"plan": "free"}),
            ],
        )
    segment = add_rule(db, {"field": "segment", "op": "=", "value": "enterprise"})
    outside = add_rule(
        db, {"field": "segment", "op": "!=", "value": "enterprise"}, {"field": "nps", "op": "<=", "value": 6}
    )
    valuable = add_rule(
        db,
        {"field": "account_tier", "op": "in", "value": ["Gold", "platinum"]},
        {"field": "arr", "op": ">=", "value": 100_000},
    )
    ids = store_responses(
        db,
        {"nps": 2, "customer_external_id": "big"},
        {"nps": 2, "customer_external_id": "small"},
        {"nps": 2},
    )
    assert fired(db, segment) == [("response", ids[0])]
    assert fired(db, outside) == [("response", ids[1])]  # no customer: no segment, the condition cannot hold
    assert fired(db, valuable) == [("response", ids[0])]


def test_a_case_is_opened_with_priority_and_tags_and_replays_change_nothing(db: Database) -> None:
    add_survey(db)
    rule = add_rule(
        db,
        {"field": "nps", "op": "<=", "value": 6},
        actions=[
            {"kind": "open_case", "priority": "high"},
            {"kind": "tag", "tags": ["detractor"]},
            {"kind": "notify"},
        ],
    )
    ids = store_responses(db, {"nps": 1, "customer_external_id": "c-1"}, {"nps": 9, "customer_external_id": "c-2"})
    [alert] = _alerts(db, rule)
    assert (alert.source, alert.source_id, alert.tags) == ("response", ids[0], ["detractor"])
    with db.unit_of_work() as session:
        [case] = cases.case_reads(session, cases.list_cases(session, limit=10)[0])
    assert (case.id, case.priority.value, case.tags, case.title) == (
        alert.case_id,
        "high",
        ["detractor"],
        "Alert: rule",
    )
    assert [(t.source.value, t.id) for t in case.triggers] == [("response", ids[0])]
    assert _fired_events(db) == [[alert.id]]
    for _ in range(2):  # the same feedback processed twice more
        with db.unit_of_work(write=True) as session:
            assert outbox.replay_events(session, name="response.received") == 1
        relay(db)
    assert alert_count(db) == 1
    assert _fired_events(db) == [[alert.id]]
    with db.unit_of_work() as session:
        assert len(cases.list_cases(session, limit=10)[0]) == 1


def test_two_relays_at_once_fire_each_alert_once(db: Database) -> None:
    add_survey(db)
    rule = add_rule(db, {"field": "nps", "op": "<=", "value": 6}, actions=[{"kind": "open_case"}, {"kind": "notify"}])
    store_responses(db, *({"nps": n % 11, "customer_external_id": f"r-{n}"} for n in range(20)))
    expected = sorted(fired(db, rule))
    assert len(expected) == 14  # 0..6 twice
    # Hand the event to every handler again, twice, and let two relays race for the copies.
    with db.unit_of_work(write=True) as session:
        assert outbox.replay_events(session, name="response.received") == 1
    with db.unit_of_work(write=True) as session:
        assert outbox.replay_events(session, name="response.received") == 1
    relays = [build_relay(db), build_relay(db)]
    errors: list[BaseException] = []

    def drain(index: int) -> None:
        try:
            while relays[index].run_pass():
                pass
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(fired(db, rule)) == expected
    with db.unit_of_work() as session:
        assert len(cases.list_cases(session, limit=100)[0]) == 14
    assert sum(len(ids) for ids in _fired_events(db)) == 14


def test_disabled_rules_do_not_fire(db: Database) -> None:
    add_survey(db)
    rule = add_rule(db, {"field": "nps", "op": "<=", "value": 6})
    with db.unit_of_work(write=True) as session:
        alerts.update_rule(session, rule_id=rule, data=RuleUpdate(enabled=False))
    store_responses(db, {"nps": 0})
    assert alert_count(db) == 0


def _alerts(db: Database, rule_id: int) -> list[AlertRead]:
    with db.unit_of_work() as session:
        return alerts.list_alerts(session, rule_id=rule_id)


def _fired_events(db: Database) -> list[list[int]]:
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.name == "alert.fired").order_by(OutboxEvent.id)
        )
        return [r["alert_ids"] for r in rows]
