"""Behavioural events: deduplicated batch recording, Segment-spec ingestion, anonymous-id stitching, listing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.clock import utcnow
from cxloop.customers import event_listeners, membership
from cxloop.customers.event_payloads import parse_payload
from cxloop.customers.models import Customer, Event
from cxloop.customers.schemas import CustomerUpsert, EventCreate, EventIngestResult, EventRead, RecordResult
from cxloop.customers.service.accounts import upsert_accounts
from cxloop.customers.service.customers import resolve_customer_ids, upsert_customers
from cxloop.storage.dialect_insert import dialect_insert
from cxloop.storage.pagination import Page, order_clause, paginate

_CHUNK = 1000
_TABLE = cast(Table, Event.__table__)
SORTS: dict[str, ColumnElement[Any]] = {
    "id": Event.id.expression,
    "occurred_at": Event.occurred_at.expression,
    "name": Event.name.expression,
    "received_at": Event.received_at.expression,
}


def record_events(session: Session, *, items: Sequence[EventCreate]) -> RecordResult:
    """Store events once per (source, external_id); unknown customers are created bare; behavioural segments are
    recomputed for the customers concerned."""
    fresh, duplicates = _deduplicated(session, items)
    if not fresh:
        return RecordResult(created=0, duplicates=duplicates)
    customers = resolve_customer_ids(
        session, external_ids={i.customer_external_id for i in fresh if i.customer_external_id}
    )
    unknown = sorted({i.customer_external_id for i in fresh if i.customer_external_id} - customers.keys())
    if unknown:
        created = upsert_customers(session, items=[CustomerUpsert(external_id=key) for key in unknown])
        customers.update(zip(unknown, created, strict=True))
    anonymous = _known_anonymous(
        session, {i.anonymous_id for i in fresh if i.anonymous_id and not i.customer_external_id}
    )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for item in fresh:
        if item.customer_external_id:
            customer_id: int | None = customers[item.customer_external_id]
        else:
            customer_id = anonymous.get(item.anonymous_id) if item.anonymous_id else None
        rows.append(
            {
                "customer_id": customer_id,
                "anonymous_id": item.anonymous_id,
                "name": item.name,
                "properties": item.properties,
                "occurred_at": item.occurred_at,
                "received_at": now,
                "source": item.source,
                "external_id": item.external_id,
            }
        )
    # ON CONFLICT: a concurrent request storing the same (source, external_id) is counted as a duplicate, not an error.
    stmt = (
        dialect_insert(session, _TABLE)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(_TABLE.c.id, _TABLE.c.customer_id, _TABLE.c.name)
    )
    stored = session.execute(stmt, rows).all()
    touched = {row.customer_id for row in stored if row.customer_id is not None}
    membership.refresh_customers(session, customer_ids=touched, reason="events")
    # After the segment refresh, so listeners (triggers) see the membership these events produced.
    if stored:
        event_listeners.stored(session, event_ids=[row.id for row in stored], names=frozenset(r.name for r in stored))
    return RecordResult(created=len(stored), duplicates=duplicates + len(rows) - len(stored))


def _deduplicated(session: Session, items: Sequence[EventCreate]) -> tuple[list[EventCreate], int]:
    keys_by_source: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if item.external_id:
            keys_by_source[item.source].add(item.external_id)
    stored: set[tuple[str, str]] = set()
    for source, keys in keys_by_source.items():
        ordered = sorted(keys)
        for start in range(0, len(ordered), _CHUNK):
            rows = session.execute(
                select(Event.external_id).where(
                    Event.source == source, Event.external_id.in_(ordered[start : start + _CHUNK])
                )
            )
            stored.update((source, row.external_id) for row in rows)
    fresh: list[EventCreate] = []
    duplicates = 0
    for item in items:
        if item.external_id:
            key = (item.source, item.external_id)
            if key in stored:
                duplicates += 1
                continue
            stored.add(key)
        fresh.append(item)
    return fresh, duplicates


def _known_anonymous(session: Session, anonymous_ids: set[str]) -> dict[str, int]:
    """Anonymous ids already tied to a customer (by an identify call), so their later events land on that customer."""
    if not anonymous_ids:
        return {}
    ids = sorted(anonymous_ids)
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Event.anonymous_id, Event.customer_id)
            .where(Event.anonymous_id.in_(ids[start : start + _CHUNK]), Event.customer_id.is_not(None))
            .distinct()
        )
        for row in rows:
            found.setdefault(row.anonymous_id, row.customer_id)
    return found


def link_anonymous_events(session: Session, *, links: Sequence[tuple[str, int]]) -> int:
    """Give events recorded under an anonymous id (and no customer) to the customer it was identified as."""
    moved = 0
    touched: set[int] = set()
    for anonymous_id, customer_id in links:
        result = session.execute(
            update(Event)
            .where(Event.anonymous_id == anonymous_id, Event.customer_id.is_(None))
            .values(customer_id=customer_id),
            execution_options={"synchronize_session": False},
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            moved += count
            touched.add(customer_id)
    membership.refresh_customers(session, customer_ids=touched, reason="events")
    return moved


def ingest_payload(session: Session, *, payload: Any) -> EventIngestResult:
    """POST /events: one event, `{"items": [...]}`, a Segment-spec call or `{"batch": [...]}`; all or nothing.

    Segment calls are stored in dependency order: group (accounts), identify (customers), anonymous-id links,
    then track/page/screen events.
    """
    mapped = parse_payload(payload)
    accounts = upsert_accounts(session, items=mapped.accounts) if mapped.accounts else []
    customers = upsert_customers(session, items=mapped.customers) if mapped.customers else []
    if mapped.links:
        ids = resolve_customer_ids(session, external_ids={user for _, user in mapped.links})
        link_anonymous_events(session, links=[(anonymous, ids[user]) for anonymous, user in mapped.links])
    recorded = record_events(session, items=mapped.events)
    return EventIngestResult(
        created=recorded.created,
        duplicates=recorded.duplicates,
        customers_upserted=len(set(customers)),
        accounts_upserted=len(set(accounts)),
        ignored=mapped.ignored,
    )


def list_events(
    session: Session,
    *,
    customer: str | None = None,
    name: str | None = None,
    source: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Event]:
    """One page of events; `customer` is an external id, `start` inclusive and `end` exclusive."""
    query = select(Event)
    if customer is not None:
        query = query.where(
            Event.customer_id == select(Customer.id).where(Customer.external_id == customer).scalar_subquery()
        )
    if name:
        query = query.where(Event.name == name)
    if source:
        query = query.where(Event.source == source)
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    return paginate(session, query.order_by(*order_clause(sort, SORTS, "-occurred_at,-id")), limit=limit, offset=offset)


def event_reads(session: Session, events: Sequence[Event]) -> list[EventRead]:
    customer_ids = {e.customer_id for e in events if e.customer_id is not None}
    external: dict[int, str] = {}
    if customer_ids:
        rows = session.execute(select(Customer.id, Customer.external_id).where(Customer.id.in_(customer_ids)))
        external = {row.id: row.external_id for row in rows}
    return [
        EventRead(
            id=e.id,
            customer_id=e.customer_id,
            customer_external_id=external.get(e.customer_id) if e.customer_id is not None else None,
            anonymous_id=e.anonymous_id,
            name=e.name,
            properties=e.properties or {},
            occurred_at=e.occurred_at,
            received_at=e.received_at,
            source=e.source,
            external_id=e.external_id,
        )
        for e in events
    ]
