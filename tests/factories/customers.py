"""Builders for customers-domain test data; they go through the services, like real writes do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxloop.customers import service as customers
from cxloop.customers.models import Customer, Segment
from cxloop.customers.schemas import AccountUpsert, CustomerUpsert, EventCreate, SegmentCreate

_counter = {"n": 0}


def _next(prefix: str) -> str:
    _counter["n"] += 1
    return f"{prefix}-{_counter['n']}"


def customer_data(**overrides: Any) -> CustomerUpsert:
    """A valid CustomerUpsert; only the fields given (plus external_id) count as sent."""
    overrides.setdefault("external_id", _next("cust"))
    return CustomerUpsert(**overrides)


def make_customer(session: Session, **overrides: Any) -> Customer:
    (customer_id,) = customers.upsert_customers(session, items=[customer_data(**overrides)])
    return customers.require_customer(session, customer_id=customer_id)


def make_account(session: Session, **overrides: Any) -> int:
    overrides.setdefault("external_id", _next("acct"))
    (account_id,) = customers.upsert_accounts(session, items=[AccountUpsert(**overrides)])
    return account_id


def make_events(
    session: Session, customer_external_id: str, name: str, instants: Sequence[datetime], **overrides: Any
) -> None:
    customers.record_events(
        session,
        items=[
            EventCreate(customer_external_id=customer_external_id, name=name, occurred_at=at, **overrides)
            for at in instants
        ],
    )


def make_segment(session: Session, filter_text: str, **overrides: Any) -> Segment:
    overrides.setdefault("key", _next("seg"))
    overrides.setdefault("name", overrides["key"].title())
    return customers.create_segment(session, data=SegmentCreate(filter=filter_text, **overrides))


def days_ago(days: int, today: date) -> date:
    return today - timedelta(days=days)
