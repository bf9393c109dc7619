"""Compiled filters select exactly the customers a plain-Python evaluation of the same AST selects, on both
databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.customers.schemas import AccountUpsert, CustomerUpsert, EventCreate
from cxloop.customers.segment_language import parse_filter
from cxloop.customers.segment_sql import compile_filter
from cxloop.storage.database import Database
from tests.customers.filter_reference import Person, matches
from tests.customers.filter_strategies import filters

NOW = utcnow()
TODAY = NOW.date()


def _accounts() -> dict[str, dict[str, Any]]:
    return {
        "acme": {
            "external_id": "acme",
            "name": "Acme",
            "plan": "enterprise",
            "owner": "Ada",
            "arr": Decimal("120000.00"),
            "renewal_date": TODAY + timedelta(days=30),
            "attributes": {"region": "emea", "seats": 50},
        },
        "globex": {
            "external_id": "globex",
            "name": "Globex",
            "plan": "pro",
            "owner": None,
            "arr": Decimal("99.99"),
            "renewal_date": date(2024, 1, 1),
            "attributes": {"region": "amer", "seats": [1, 2]},
        },
    }


def _people() -> list[dict[str, Any]]:
    def d(days: int) -> date:
        return TODAY - timedelta(days=days)

    return [
        {
            "external_id": "c1",
            "email": "a@x.com",
            "name": "Ada",
            "locale": "en-GB",
            "timezone": "Europe/Paris",
            "signup_date": d(days=100),
            "stage": "onboarding",
            "account": "acme",
            "attributes": {
                "plan": "enterprise",
                "company_size": 250,
                "score": 2.5,
                "tags": ["vip", "beta"],
                "trial": True,
                "joined": "2024-03-01",
                "nums": [1, 2, 3],
                "note": "it's vip",
            },
            "events": [
                ("ticket_solved", NOW - timedelta(days=1)),
                ("ticket_solved", NOW - timedelta(days=20)),
                ("ticket_solved", NOW - timedelta(days=100)),
                ("login", NOW - timedelta(hours=5)),
            ],
        },
        {
            "external_id": "c2",
            "email": "b@y.org",
            "name": "Bob",
            "locale": "en",
            "signup_date": d(days=10),
            "stage": "usage",
            "attributes": {
                "plan": "free",
                "company_size": "200",
                "score": -1,
                "tags": "vip",
                "trial": False,
                "joined": "2023-12-31",
            },
            "events": [("Order Completed", NOW - timedelta(days=2))],
        },
        {"external_id": "c3"},
        {
            "external_id": "c4",
            "signup_date": d(days=365),
            "stage": "renewal",
            "account": "globex",
            "attributes": {"plan": "pro", "company_size": 200, "nums": [7, 2.5], "tags": [], "note": None},
        },
        {
            "external_id": "c5",
            "email": "c5@x.com",
            "name": "é",
            "locale": "fr",
            "timezone": "UTC",
            "attributes": {"plan": "Enterprise", "company_size": 0, "score": 1000, "trial": "true", "joined": 20240101},
        },
        {
            "external_id": "c6",
            "signup_date": TODAY,
            "account": "acme",
            "attributes": {"absent": None},
            "events": [("ticket_solved", NOW - timedelta(days=399)), ("login", NOW - timedelta(days=31))],
        },
        {"external_id": "c7", "attributes": {"tags": ["Order Completed", "é"], "plan": ""}, "signup_date": d(days=90)},
    ]


def _load(db: Database) -> list[Person]:
    accounts = _accounts()
    people = _people()
    with db.unit_of_work() as session:
        customers.upsert_accounts(session, items=[AccountUpsert(**a) for a in accounts.values()])
        items = []
        for p in people:
            fields = {k: v for k, v in p.items() if k not in ("account", "events")}
            if "account" in p:
                fields["account_external_id"] = p["account"]
            items.append(CustomerUpsert(**fields))
        ids = customers.upsert_customers(session, items=items)
        customers.record_events(
            session,
            items=[
                EventCreate(customer_external_id=p["external_id"], name=name, occurred_at=at)
                for p in people
                for name, at in p.get("events", [])
            ],
        )
    result = []
    for customer_id, p in zip(ids, people, strict=True):
        columns = {
            k: p.get(k) for k in ("external_id", "email", "name", "phone", "locale", "timezone", "signup_date", "stage")
        }
        result.append(
            Person(
                customer_id, columns, p.get("attributes", {}), accounts.get(p.get("account", "")), p.get("events", [])
            )
        )
    return result


def _sql_ids(db: Database, text: str, now: datetime = NOW) -> set[int]:
    with db.unit_of_work() as session:
        return set(session.scalars(select(Customer.id).where(compile_filter(parse_filter(text), now=now))))


def _python_ids(people: list[Person], text: str, now: datetime = NOW) -> set[int]:
    node = parse_filter(text)
    return {p.id for p in people if matches(node, p, now)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plan = enterprise", {"c1"}),
        ("plan != enterprise", {"c2", "c3", "c4", "c5", "c6", "c7"}),
        ("company_size >= 200", {"c1", "c4"}),
        ("company_size = '200'", {"c2"}),
        ("score < 0", {"c2"}),
        ("tags contains vip", {"c1", "c2"}),
        ("nums contains 2.5", {"c4"}),
        ("trial = true", {"c1"}),
        ("joined < '2024-02-01'", {"c2"}),
        ("note is null", {"c2", "c3", "c4", "c5", "c6", "c7"}),
        ("absent is null", {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}),
        ("email = 'A@X.com'", {"c1"}),
        ("email contains '@x.com'", {"c1", "c5"}),
        ("stage in (onboarding, usage)", {"c1", "c2"}),
        ("stage is null", {"c3", "c5", "c6", "c7"}),
        ("account = acme", {"c1", "c6"}),
        ("account.arr > 1000", {"c1", "c6"}),
        ("account.region = amer", {"c4"}),
        ("account.renewal_date <= today + 60 days", {"c1", "c4", "c6"}),
        ("account.seats contains 2", {"c4"}),
        ("tenure > 90 days", {"c1", "c4"}),
        ("tenure >= 90", {"c1", "c4", "c7"}),
        ("tenure = 0", {"c6"}),
        ("signup_date > today - 30 days", {"c2", "c6"}),
        ("event(ticket_solved, 90 days) >= 2", {"c1"}),
        ("event(ticket_solved) >= 1", {"c1", "c6"}),
        ("event('Order Completed', 7 days)", {"c2"}),
        ("event(login, 30 days) = 0", {"c2", "c3", "c4", "c5", "c6", "c7"}),
        ("not (plan = free or plan = pro) and locale is not null", {"c1", "c5"}),
    ],
)
def test_hand_checked_filters(db: Database, text: str, expected: set[str]) -> None:
    people = _load(db)
    by_external = {p.id: p.columns["external_id"] for p in people}
    sql = {by_external[i] for i in _sql_ids(db, text)}
    assert sql == expected
    assert {by_external[i] for i in _python_ids(people, text)} == expected


def test_generated_filters_agree_with_the_python_evaluation(db: Database) -> None:
    people = _load(db)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(filters())
    def check(text: str) -> None:
        assert _sql_ids(db, text) == _python_ids(people, text), text

    check()


def test_time_based_filters_move_with_now(db: Database) -> None:
    people = _load(db)
    later = NOW + timedelta(days=300)
    for text in ("tenure > 90 days", "event(ticket_solved, 90 days) >= 1", "signup_date > today - 30 days"):
        assert _sql_ids(db, text, later) == _python_ids(people, text, later)
    assert _sql_ids(db, "event(ticket_solved, 90 days) >= 1", later) == set()
