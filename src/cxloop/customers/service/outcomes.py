"""Business outcomes (churn, renewal, revenue, lifetime value) for customers and accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.models import Account, Customer, Outcome
from cxloop.customers.schemas import OutcomeCreate, OutcomeRead, RecordResult
from cxloop.customers.service.customers import resolve_account_ids, resolve_customer_ids
from cxloop.storage.dialect_insert import dialect_insert
from cxloop.storage.pagination import Page, order_clause, paginate

SORTS: dict[str, ColumnElement[Any]] = {
    "id": Outcome.id.expression,
    "occurred_on": Outcome.occurred_on.expression,
    "kind": Outcome.kind.expression,
    "value": Outcome.value.expression,
}


def record_outcomes(session: Session, *, items: Sequence[OutcomeCreate]) -> RecordResult:
    """Store outcomes; unknown customer or account external ids -> InvalidInput naming items.<i>, nothing stored."""
    customers = resolve_customer_ids(
        session, external_ids={i.customer_external_id for i in items if i.customer_external_id}
    )
    accounts = resolve_account_ids(
        session, external_ids={i.account_external_id for i in items if i.account_external_id}
    )
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        if item.customer_external_id and item.customer_external_id not in customers:
            errors.append(
                FieldError(
                    f"items.{index}.customer_external_id", f"no customer with external id '{item.customer_external_id}'"
                )
            )
        if item.account_external_id and item.account_external_id not in accounts:
            errors.append(
                FieldError(
                    f"items.{index}.account_external_id", f"no account with external id '{item.account_external_id}'"
                )
            )
    if errors:
        raise InvalidInput("some outcomes are not valid; nothing was saved", errors=errors)
    if not items:
        return RecordResult(created=0, duplicates=0)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "customer_id": customers.get(item.customer_external_id) if item.customer_external_id else None,
            "account_id": accounts.get(item.account_external_id) if item.account_external_id else None,
            "kind": item.kind.value,
            "value": item.value,
            "occurred_on": item.occurred_on,
            "note": item.note,
            "source": item.source,
            "external_id": item.external_id,
            "created_at": now,
        }
        for item in items
    ]
    # (source, external_id) identifies an outcome: a resent one, even within this batch, is stored once.
    stmt = (
        dialect_insert(session, Outcome.__table__)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Outcome.__table__.c.id)
    )
    stored = session.execute(stmt, rows).all()
    return RecordResult(created=len(stored), duplicates=len(rows) - len(stored))


def list_outcomes(
    session: Session,
    *,
    customer: str | None = None,
    account: str | None = None,
    kind: OutcomeKind | None = None,
    start: date | None = None,
    end: date | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Outcome]:
    """One page of outcomes; `customer`/`account` are external ids, `start` and `end` inclusive dates."""
    query = select(Outcome)
    if customer is not None:
        query = query.where(
            Outcome.customer_id == select(Customer.id).where(Customer.external_id == customer).scalar_subquery()
        )
    if account is not None:
        query = query.where(
            Outcome.account_id == select(Account.id).where(Account.external_id == account).scalar_subquery()
        )
    if kind is not None:
        query = query.where(Outcome.kind == kind.value)
    if start is not None:
        query = query.where(Outcome.occurred_on >= start)
    if end is not None:
        query = query.where(Outcome.occurred_on <= end)
    return paginate(session, query.order_by(*order_clause(sort, SORTS, "-occurred_on,-id")), limit=limit, offset=offset)


def outcome_reads(session: Session, outcomes: Sequence[Outcome]) -> list[OutcomeRead]:
    customer_ids = {o.customer_id for o in outcomes if o.customer_id is not None}
    account_ids = {o.account_id for o in outcomes if o.account_id is not None}
    customers = (
        {
            r.id: r.external_id
            for r in session.execute(select(Customer.id, Customer.external_id).where(Customer.id.in_(customer_ids)))
        }
        if customer_ids
        else {}
    )
    accounts = (
        {
            r.id: r.external_id
            for r in session.execute(select(Account.id, Account.external_id).where(Account.id.in_(account_ids)))
        }
        if account_ids
        else {}
    )
    return [
        OutcomeRead(
            id=o.id,
            customer_id=o.customer_id,
            customer_external_id=customers.get(o.customer_id) if o.customer_id is not None else None,
            account_id=o.account_id,
            account_external_id=accounts.get(o.account_id) if o.account_id is not None else None,
            kind=OutcomeKind(o.kind),
            value=o.value,
            occurred_on=o.occurred_on,
            note=o.note,
            source=o.source,
            external_id=o.external_id,
            created_at=o.created_at,
        )
        for o in outcomes
    ]
