"""build_demo writes the simulated company through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cxloop.analytics import service as analytics
from cxloop.analytics.enums import GroupKey, MetricKind
from cxloop.analytics.fatigue import fatigue_report
from cxloop.analytics.schemas import MetricQuery
from cxloop.channels.widget import service as widget
from cxloop.collection import service as collection
from cxloop.collection.models import Response
from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, InvalidInput
from cxloop.customers import service as customers
from cxloop.customers.schemas import AccountRead
from cxloop.demo.builder import SEGMENTS, build_demo, has_customers
from cxloop.demo.comments import PHRASEBOOKS
from cxloop.governance import consent
from cxloop.invitations.models import Invitation
from cxloop.journeys import service as journeys
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from cxloop.triggers import service as triggers

ANCHOR = date(2025, 6, 1)
_IGNORED = {"id", "customer_id", "survey_id", "stage_id", "account_id", "received_at", "created_at", "updated_at"}


def _pages(fetch: Any) -> list[Any]:
    rows: list[Any] = []
    while True:
        page = fetch(offset=len(rows))
        rows.extend(page.items)
        if len(rows) >= page.total or not page.items:
            return rows


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _IGNORED}


def export(database: Database) -> dict[str, list[dict[str, Any]]]:
    """Everything the demo wrote, as plain rows without database ids or write times."""
    with database.unit_of_work() as session:
        events = _pages(lambda offset: customers.list_events(session, sort="id", limit=500, offset=offset))
        outcomes = _pages(lambda offset: customers.list_outcomes(session, sort="id", limit=500, offset=offset))
        accounts = _pages(lambda offset: customers.list_accounts(session, sort="id", limit=500, offset=offset))
        return {
            "customers": [dict(c) for batch in customers.iter_customers(session) for c in batch],
            "accounts": [_clean(AccountRead.model_validate(a).model_dump()) for a in accounts],
            "events": [_clean(e.model_dump()) for e in customers.event_reads(session, events)],
            "outcomes": [_clean(o.model_dump()) for o in customers.outcome_reads(session, outcomes)],
            "responses": [_clean(r.model_dump()) for batch in collection.iter_responses(session) for r in batch],
            "feedback": [_clean(f.model_dump()) for batch in collection.iter_feedback(session) for f in batch],
        }


def test_the_demo_holds_a_believable_company_with_findable_patterns(db: Database) -> None:
    summary = build_demo(db, seed=3, customers=300, today=ANCHOR)
    data = export(db)
    assert summary.customers == len(data["customers"]) == 300
    assert summary.events == len(data["events"])
    # The simulated year's responses, and the answers to the cases' verification re-surveys.
    assert summary.responses + summary.casework.verifications_answered == len(data["responses"])
    _check_shape(db, data)
    _check_patterns(data)


def _check_shape(database: Database, data: dict[str, list[dict[str, Any]]]) -> None:
    people = data["customers"]
    assert len(people) == 300
    assert {p["attributes"]["segment"] for p in people} == {"smb", "enterprise"}
    assert all(p["stage"] in {"onboarding", "usage", "renewal", "advocacy"} for p in people)
    assert all(p["locale"] and p["timezone"] and p["email"] for p in people)
    assert all(p["account_external_id"] for p in people if p["attributes"]["segment"] == "enterprise")
    assert len(data["accounts"]) >= 30
    names = {e["name"] for e in data["events"]}
    assert {"signed_up", "first_use", "ticket_created", "ticket_solved", "order_delivered", "invoice_paid"} <= names
    solved = [e["properties"] for e in data["events"] if e["name"] == "ticket_solved"]
    assert all({"wait_minutes", "transfers", "reopens", "agent", "team"} <= p.keys() for p in solved)
    # The simulated year's answers; the cases' verification re-surveys are answered on their own surveys by email.
    responses = [r for r in data["responses"] if not r["survey"].startswith("case-verify-")]
    checks = [r for r in data["responses"] if r["survey"].startswith("case-verify-")]
    assert checks and {(r["survey"], r["channel"]) for r in checks} <= {
        ("case-verify-nps", "email"),
        ("case-verify-csat", "email"),
    }
    assert {r["survey"] for r in responses} == {
        "relationship-nps",
        "post-support-csat",
        "onboarding-ces",
        "post-delivery-csat",
    }
    assert {(r["survey"], r["channel"]) for r in responses} <= {
        ("relationship-nps", "email"),
        ("relationship-nps", "link"),
        ("post-support-csat", "email"),
        ("post-support-csat", "sms"),
        ("onboarding-ces", "in_app"),
        ("onboarding-ces", "email"),
        ("post-delivery-csat", "sms"),
        ("post-delivery-csat", "email"),
    }
    assert all(r["submitted_at"].date() < ANCHOR for r in responses)
    with_comments = [r for r in responses if r["comment"]]
    assert 0.3 < len(with_comments) / len(responses) < 0.7
    assert {f["kind"] for f in data["feedback"]} >= {"review", "chat_transcript"}
    assert {o["kind"] for o in data["outcomes"]} >= {"churned", "lifetime_value", "renewed"}
    with database.unit_of_work() as session:
        counts = {
            s.key: s.member_count for s in customers.segment_reads(session, customers.list_segments(session).items)
        }
    assert set(counts) == {s.key for s in SEGMENTS}
    assert counts["smb"] + counts["enterprise"] == 300
    assert counts["churned"] == sum(1 for p in people if p["attributes"]["status"] == "churned") > 0
    with database.unit_of_work() as session:
        by_segment = analytics.compute_metric(
            session, query=MetricQuery(metric=MetricKind.nps, group_by=[GroupKey.segment])
        )
    measured = {g.keys["segment"]: g.n for g in by_segment.groups}
    assert measured.get("smb", 0) > 50 and measured.get("enterprise", 0) > 20


def _check_patterns(data: dict[str, list[dict[str, Any]]]) -> None:
    churned = {o["customer_external_id"] for o in data["outcomes"] if o["kind"] == "churned"}
    segment = {p["external_id"]: p["attributes"]["segment"] for p in data["customers"]}
    poor: list[bool] = []
    good: list[bool] = []
    for r in data["responses"]:
        if r["survey"] == "onboarding-ces" and segment[r["customer_external_id"]] == "smb":
            (poor if r["ces"] <= 3 else good if r["ces"] >= 5 else []).append(r["customer_external_id"] in churned)
    assert statistics.mean(poor) > statistics.mean(good) + 0.15
    waits = {
        e["properties"]["ticket_id"]: e["properties"]["wait_minutes"]
        for e in data["events"]
        if e["name"] == "ticket_solved"
    }
    by_wait: dict[str, list[int]] = defaultdict(list)
    for r in data["responses"]:
        if r["survey"] == "post-support-csat":
            wait = waits[r["metadata"]["ticket_id"]]
            by_wait["short" if wait < 60 else "long" if wait > 240 else "middle"].append(r["csat"])
    assert statistics.mean(by_wait["short"]) > statistics.mean(by_wait["long"]) + 0.3
    late = {
        e["properties"]["order_id"]
        for e in data["events"]
        if e["name"] == "order_delivered" and e["properties"]["days_late"] > 0
    }
    for r in data["responses"]:
        themes = r["metadata"].get("themes", [])
        assert all(PHRASEBOOKS[r["locale"] or "en"].patterns[t].search(r["comment"]) for t in themes)
        if r["survey"] == "post-delivery-csat" and r["metadata"]["order_id"] in late and r["csat"] <= 2 and themes:
            assert themes == ["delivery"]


def test_the_same_seed_and_day_write_identical_data(db: Database, tmp_path: Path) -> None:
    build_demo(db, seed=11, customers=40, today=ANCHOR)
    other = _empty_sqlite(tmp_path / "other.db")
    try:
        build_demo(other, seed=11, customers=40, today=ANCHOR)
        assert export(other) == export(db)
    finally:
        other.dispose()


def test_the_build_refuses_silly_settings_and_a_database_with_customers(db: Database) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_demo(db, customers=3, months=0, today=utcnow().date() + timedelta(days=2))
    assert {e.field for e in caught.value.errors} == {"customers", "months", "today"}
    with db.unit_of_work() as session:
        assert not has_customers(session)
        build_demo(session, seed=1, customers=30, today=ANCHOR)
        assert has_customers(session)
    with pytest.raises(Conflict) as refused:
        build_demo(db, seed=2, customers=30, today=ANCHOR)
    assert refused.value.errors[0].field == "database"
    with db.unit_of_work() as session:
        assert customers.list_customers(session, limit=1).total == 30


def _empty_sqlite(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    metadata.create_all(database.engine)
    with database.unit_of_work() as session:
        journeys.ensure_default_journey(session)
    return database


def test_the_demo_records_every_invitation_and_links_the_answered_ones(db: Database) -> None:
    summary = build_demo(db, seed=5, customers=200, today=ANCHOR)
    with db.unit_of_work() as session:
        invitations = session.scalars(select(Invitation)).all()
        # The simulated year's invitations, and the cases' verification re-surveys (docs/demo.md).
        checks = [i for i in invitations if (i.occurrence_key or "").startswith("case-verification:")]
        assert len(invitations) - len(checks) == summary.invitations > summary.responses
        assert len(checks) >= summary.casework.verifications
        answered = [i for i in invitations if i.status == "answered"]
        # Every response answered an invitation, and each invitation points at its own response.
        assert len(answered) == summary.responses + summary.casework.verifications_answered
        linked = {i.response_id for i in answered}
        assert linked == set(session.scalars(select(Response.id)).all())
        for invitation in answered[:50]:
            response = session.get_one(Response, invitation.response_id)
            assert response.customer_id == invitation.customer_id and response.survey_id == invitation.survey_id
            assert invitation.sent_at is not None and invitation.sent_at <= response.submitted_at
        assert {i.channel for i in invitations} <= {"email", "sms", "link", "widget"}
        (whole,) = fatigue_report(session)
    # The simulated year's invitations passed the contact policy too: what it held back is stored with its reason.
    assert whole.answered == summary.responses + summary.casework.verifications_answered
    suppressed = [i for i in invitations if i.status == "suppressed"]
    assert whole.suppressed == len(suppressed) > sum(1 for i in checks if i.status == "suppressed")
    assert all(i.reason and i.policy == "default" and i.sent_at is None for i in suppressed)
    assert {"frequency_cap", "resurvey_interval"} <= {i.reason for i in suppressed}
    assert whole.response_rate is not None and 10 < whole.response_rate < 35


def test_the_demo_asks_as_its_contact_policy_and_consent_allow(db: Database) -> None:
    """No SMS without an SMS opt-in, no email after an opt-out, at most one capped contact per 14 days."""
    build_demo(db, seed=5, customers=200, today=ANCHOR)
    with db.unit_of_work() as session:
        year = [i for i in session.scalars(select(Invitation)) if not (i.occurrence_key or "").startswith("case-")]
        states = consent.states_of(session, sorted({i.customer_id for i in year}))
        sent = sorted((i for i in year if i.status != "suppressed"), key=lambda i: (i.customer_id, i.scheduled_for))
        assert any(i.requested_channel == "sms" and i.channel == "email" for i in sent)
        for invitation in sent:
            mine = states.get(invitation.customer_id, {})
            if invitation.channel == "sms":
                assert mine.get(("research", "sms")) is True
        last: dict[int, datetime] = {}
        for invitation in sent:
            if invitation.channel in {"email", "sms", "widget"}:
                before = last.get(invitation.customer_id)
                assert before is None or invitation.scheduled_for - before >= timedelta(days=14)
                last[invitation.customer_id] = invitation.scheduled_for
        surveys_by_key = {s.key: s for s in session.scalars(select(Survey))}
        assert surveys_by_key["post-support-csat"].response_limit == "per_invitation"
        assert surveys_by_key["relationship-nps"].resurvey_days == 60
        # The programmes are configured: trigger rules (disabled: invented addresses) and the widget sites.
        rules = triggers.list_rules(session)
        assert len(rules) == 6 and not any(rule.enabled for rule in rules)
        by_id = {rule.id: rule for rule in rules}
        for invitation in year:
            if invitation.rule_id is not None:
                assert by_id[invitation.rule_id].survey_id == invitation.survey_id
        assert sum(i.rule_id is None for i in year) == sum(i.channel == "widget" for i in year)
        sites, count = widget.list_sites(session)
        assert count == 2 and {s.channel for s in sites} == {"web", "in_app"}
