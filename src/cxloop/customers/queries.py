"""Read-side SQL of the customers domain: streamed customer exports (joins journeys' stages for their keys)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cxloop.customers.models import Account, Customer
from cxloop.journeys.models import Stage


def iter_customer_rows(
    session: Session, *, since: datetime | None, until: datetime | None, batch_size: int
) -> Iterator[list[Any]]:
    """Batches of (Customer, account external id, stage key), oldest id first; since/until filter `updated_at`.
    Keyset pagination by id: memory stays flat whatever the table size."""
    last = 0
    while True:
        query = (
            select(Customer, Account.external_id, Stage.key)
            .outerjoin(Account, Account.id == Customer.account_id)
            .outerjoin(Stage, Stage.id == Customer.stage_id)
            .where(Customer.id > last)
        )
        if since is not None:
            query = query.where(Customer.updated_at >= since)
        if until is not None:
            query = query.where(Customer.updated_at < until)
        batch = session.execute(query.order_by(Customer.id).limit(batch_size)).all()
        if not batch:
            return
        yield list(batch)
        last = batch[-1][0].id


def count_updated(session: Session, *, since: datetime | None, until: datetime | None) -> int:
    """How many customers were updated in [since, until)."""
    query = select(func.count()).select_from(Customer)
    if since is not None:
        query = query.where(Customer.updated_at >= since)
    if until is not None:
        query = query.where(Customer.updated_at < until)
    return session.scalar(query) or 0


def attribute_names(session: Session) -> list[str]:
    """Every attribute name any customer has, sorted."""
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT DISTINCT jsonb_object_keys(attributes) FROM customers"
    else:
        sql = "SELECT DISTINCT j.key FROM customers, json_each(customers.attributes) AS j"
    return sorted(str(name) for name in session.scalars(text(sql)))
