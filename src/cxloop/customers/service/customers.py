"""Customers: set-based bulk upsert by external id, CRUD, lookup and listing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers import deletion, membership
from cxloop.customers.errors import CustomerConflict, CustomerNotFound
from cxloop.customers.models import Account, Customer, Segment, SegmentMember
from cxloop.customers.schemas import CustomerRead, CustomerUpdate, CustomerUpsert, UpsertResult
from cxloop.customers.segment_sql import compile_filter
from cxloop.jobs import events, outbox
from cxloop.journeys import service as journeys
from cxloop.storage import bulk_insert, references
from cxloop.storage.pagination import Page, order_clause, paginate

_CHUNK = 1000
_COLUMNS = ("email", "phone", "name", "locale", "timezone", "signup_date")
_TABLE = cast(Table, Customer.__table__)
SORTS: dict[str, ColumnElement[Any]] = {
    "id": Customer.id.expression,
    "external_id": Customer.external_id.expression,
    "email": Customer.email.expression,
    "name": Customer.name.expression,
    "signup_date": Customer.signup_date.expression,
    "created_at": Customer.created_at.expression,
    "updated_at": Customer.updated_at.expression,
}


def get_customer(
    session: Session, *, customer_id: int | None = None, external_id: str | None = None
) -> Customer | None:
    if customer_id is not None:
        return session.get(Customer, customer_id)
    return session.scalar(select(Customer).where(Customer.external_id == external_id))


def require_customer(session: Session, *, customer_id: int | None = None, external_id: str | None = None) -> Customer:
    """The customer, or CustomerNotFound."""
    customer = get_customer(session, customer_id=customer_id, external_id=external_id)
    if customer is None:
        what = f"id {customer_id}" if customer_id is not None else f"external id '{external_id}'"
        raise CustomerNotFound(f"no customer with {what}")
    return customer


def display_names(session: Session, *, customer_ids: Iterable[int]) -> dict[int, str]:
    """Customer id -> how a list names them (the name, else the email, else the external id), in one query."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    query = select(Customer.id, Customer.name, Customer.email, Customer.external_id).where(Customer.id.in_(ids))
    return {row.id: row.name or row.email or row.external_id for row in session.execute(query)}


def ids_with_email(session: Session, *, email: str) -> list[int]:
    """The ids of the customers whose (lower-case) email is `email`."""
    return list(session.scalars(select(Customer.id).where(Customer.email == email).order_by(Customer.id)))


def with_phones(session: Session, *, phones: Iterable[str]) -> Sequence[Customer]:
    """The customers whose phone is one of `phones`, in id order."""
    # customers.phone has no index: fine for the reply rate of one SMS number; see docs/channels-email-sms.md.
    return session.scalars(select(Customer).where(Customer.phone.in_(sorted(set(phones)))).order_by(Customer.id)).all()


def lock_customers(session: Session, *, customer_ids: Iterable[int]) -> dict[int, Customer]:
    """Customer id -> customer for the known ids, locked for this transaction in id order (PostgreSQL; SQLite
    writers are serial anyway), so two writers deciding about the same customers take turns."""
    ids = sorted(set(customer_ids))
    query = select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id).with_for_update()
    return {customer.id: customer for customer in session.scalars(query)}


def resolve_customer_ids(session: Session, *, external_ids: Iterable[str]) -> dict[str, int]:
    """External id -> customer id for the known ones (unknown ids are left out)."""
    keys = sorted(set(external_ids))
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(Customer.external_id, Customer.id).where(Customer.external_id.in_(keys[start : start + _CHUNK]))
        )
        found.update({row.external_id: row.id for row in rows})
    return found


def resolve_account_ids(session: Session, *, external_ids: Iterable[str]) -> dict[str, int]:
    keys = sorted(set(external_ids))
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(Account.external_id, Account.id).where(Account.external_id.in_(keys[start : start + _CHUNK]))
        )
        found.update({row.external_id: row.id for row in rows})
    return found


def upsert_customers(session: Session, *, items: Sequence[CustomerUpsert]) -> list[int]:
    """Create or update customers by external id; ids in input order. All or nothing (InvalidInput names items.<i>)."""
    return bulk_upsert_customers(session, items=items).ids


def bulk_upsert_customers(session: Session, *, items: Sequence[CustomerUpsert], prefix: str = "items") -> UpsertResult:
    """Like upsert_customers, also counting created and updated rows.

    Set-based: one SELECT per 1,000 external ids, one multi-row INSERT for new customers and one executemany UPDATE
    per shape of change. Fields not sent are left unchanged; attributes are merged (a key sent as null is removed).
    When an external id appears twice, the later item's fields win.
    """
    if not items:
        return UpsertResult(ids=[], created=0, updated=0)
    changes = _changes(session, items, prefix)
    now = utcnow()
    existing = _existing(session, list(changes), with_attributes=any("attributes" in c for c in changes.values()))
    new_rows = [
        _new_row(external_id, change, now) for external_id, change in changes.items() if external_id not in existing
    ]
    ids = {external_id: row[0] for external_id, row in existing.items()}
    created, inserted_ids = 0, set[str]()
    if new_rows:
        # ON CONFLICT DO NOTHING: a concurrent transaction may create the same customer meanwhile (two first
        # responses of one new customer). The rows returned are the ones created here, matched by external id; the
        # others now exist and take the update path. Sorted, so concurrent inserts wait for each other in one order.
        new_rows.sort(key=lambda row: str(row["external_id"]))
        inserted = _insert_new(session, new_rows)
        created, inserted_ids = len(inserted), set(inserted)
        ids.update(inserted)
        raced = [str(row["external_id"]) for row in new_rows if row["external_id"] not in inserted]
        if raced:
            with_attributes = any("attributes" in changes[external_id] for external_id in raced)
            found = _existing(session, raced, with_attributes=with_attributes)
            existing.update(found)
            ids.update({external_id: row[0] for external_id, row in found.items()})
    updated_ids = _update_existing(session, changes, existing, now)
    result_ids = [ids[item.external_id] for item in items]
    membership.refresh_customers(session, customer_ids=set(result_ids))
    if changed := sorted({ids[external_id] for external_id in inserted_ids} | updated_ids):
        outbox.emit(session, events.CUSTOMER_UPDATED, {"customer_ids": changed})
    updated = len(updated_ids)
    return UpsertResult(ids=result_ids, created=created, updated=updated)


_NEW_COLUMNS = ("external_id", *_COLUMNS, "attributes", "account_id", "stage_id", "created_at", "updated_at")


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new customers in bulk (COPY on PostgreSQL); external id -> id of the rows inserted here (a row another
    transaction inserted meanwhile is skipped). SQLAlchemy's multi-row INSERT spent most of its time in psycopg
    parsing the statement's thousands of named placeholders (about 160 µs per customer)."""
    codec = bulk_insert.codec_for(session)
    encoders: dict[str, Callable[[Any], Any]] = {
        "attributes": codec.json,
        "signup_date": codec.day,
        "created_at": codec.instant,
        "updated_at": codec.instant,
    }
    encoded = [
        tuple(encoders[name](row[name]) if name in encoders else row[name] for name in _NEW_COLUMNS) for row in rows
    ]
    ids = bulk_insert.insert_rows(
        session,
        table="customers",
        columns=_NEW_COLUMNS,
        rows=encoded,
        conflict=("external_id",),
        key_of=lambda row: row[0],
        lookup=lambda keys: _ids_by_external_id(session, [str(key) for key in keys]),
    )
    return {str(row[0]): new_id for row, new_id in zip(encoded, ids, strict=True) if new_id is not None}


def _ids_by_external_id(session: Session, external_ids: list[str]) -> dict[Hashable, int]:
    return {key: found[0] for key, found in _existing(session, external_ids, with_attributes=False).items()}


def _changes(session: Session, items: Sequence[CustomerUpsert], prefix: str) -> dict[str, dict[str, Any]]:
    """Column changes per external id, references resolved; InvalidInput naming every bad item."""
    account_keys = {i.account_external_id for i in items if i.account_external_id}
    accounts = resolve_account_ids(session, external_ids=account_keys) if account_keys else {}
    stages = journeys.stage_index(session) if any(i.stage for i in items) else {}
    errors: list[FieldError] = []
    changes: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(items):
        sent = item.model_fields_set
        change = changes.setdefault(item.external_id, {})
        for name in _COLUMNS:
            if name in sent:
                change[name] = getattr(item, name)
        if "account_external_id" in sent:
            key = item.account_external_id
            if key and key not in accounts:
                errors.append(
                    FieldError(_path(prefix, index, "account_external_id"), f"no account with external id '{key}'")
                )
            change["account_id"] = accounts.get(key) if key else None
        if "stage" in sent:
            if item.stage and item.stage not in stages:
                errors.append(FieldError(_path(prefix, index, "stage"), f"no journey stage with key '{item.stage}'"))
            change["stage_id"] = stages.get(item.stage) if item.stage else None
        if "attributes" in sent:
            change.setdefault("attributes", {}).update(item.attributes)
    if errors:
        raise InvalidInput("some customers are not valid; nothing was saved", errors=errors)
    return changes


def _path(prefix: str, index: int, name: str) -> str:
    return f"{prefix}.{index}.{name}" if prefix else name


def _existing(
    session: Session, external_ids: list[str], *, with_attributes: bool
) -> dict[str, tuple[int, dict[str, Any]]]:
    columns = [Customer.external_id, Customer.id] + ([Customer.attributes] if with_attributes else [])
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for start in range(0, len(external_ids), _CHUNK):
        rows = session.execute(select(*columns).where(Customer.external_id.in_(external_ids[start : start + _CHUNK])))
        for row in rows:
            attributes: dict[str, Any] = dict(cast(dict[str, Any], row[2]) or {}) if with_attributes else {}
            found[cast(str, row[0])] = (cast(int, row[1]), attributes)
    return found


def _new_row(external_id: str, change: dict[str, Any], now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys((*_COLUMNS, "account_id", "stage_id"))
    row.update(change)
    row["attributes"] = {k: v for k, v in change.get("attributes", {}).items() if v is not None}
    row.update(external_id=external_id, created_at=now, updated_at=now)
    return row


def _update_existing(
    session: Session, changes: dict[str, dict[str, Any]], existing: dict[str, tuple[int, dict[str, Any]]], now: datetime
) -> set[int]:
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for external_id, change in changes.items():
        if external_id not in existing or not change:
            continue
        customer_id, attributes = existing[external_id]
        row = dict(change)
        if "attributes" in row:
            merged = {**attributes, **row["attributes"]}
            row["attributes"] = {k: v for k, v in merged.items() if v is not None}
        row["updated_at"] = now
        shape = tuple(sorted(row))
        by_shape[shape].append({"_id": customer_id, **{f"v_{k}": v for k, v in row.items()}})
    for shape, rows in by_shape.items():
        statement = (
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("_id"))
            .values({_TABLE.c[name]: bindparam(f"v_{name}", type_=_TABLE.c[name].type) for name in shape})
        )
        session.execute(statement, rows)
    updated_ids = {row["_id"] for rows in by_shape.values() for row in rows}
    # Core UPDATEs bypass the identity map: make loaded customers reload their new values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in updated_ids:
            session.expire(obj)
    return updated_ids


def create_customer(session: Session, *, data: CustomerUpsert) -> Customer:
    """A new customer; CustomerConflict when the external id is taken."""
    if get_customer(session, external_id=data.external_id) is not None:
        raise CustomerConflict(f"a customer with external id '{data.external_id}' exists already")
    (customer_id,) = bulk_upsert_customers(session, items=[data], prefix="").ids
    return require_customer(session, customer_id=customer_id)


def update_customer(session: Session, *, customer_id: int, data: CustomerUpdate) -> Customer:
    """Change the fields sent; attributes are merged (null removes a key)."""
    customer = require_customer(session, customer_id=customer_id)
    sent = data.model_fields_set
    renamed = "external_id" in sent and data.external_id and data.external_id != customer.external_id
    if renamed and get_customer(session, external_id=data.external_id) is not None:
        raise CustomerConflict(f"a customer with external id '{data.external_id}' exists already")
    fields = data.model_dump(include=sent - {"external_id"})
    upsert = CustomerUpsert.model_validate({"external_id": customer.external_id, **fields})
    _changes(session, [upsert], "")  # refuses unknown references before anything is written
    if "external_id" in sent and data.external_id:
        customer.external_id = data.external_id
        customer.updated_at = utcnow()
        session.flush()
        outbox.emit(session, events.CUSTOMER_UPDATED, {"customer_ids": [customer.id]})
    bulk_upsert_customers(session, items=[upsert.model_copy(update={"external_id": customer.external_id})], prefix="")
    session.refresh(customer)
    return customer


def delete_customer(session: Session, *, customer_id: int) -> None:
    """Delete a customer with their events and outcomes (listeners are told they left their segments)."""
    customer = require_customer(session, customer_id=customer_id)
    references.lock(session, ["customers"])  # waits for writers still adding feedback about them
    membership.remove_customers(session, customer_ids=[customer.id])
    deletion.deleting(session, customer_ids=[customer.id])  # e.g. their feedback leaves the score rollups
    references.release(session, "customers", [customer.id])  # e.g. their responses
    session.delete(customer)
    session.flush()


def list_customers(
    session: Session,
    *,
    q: str | None = None,
    stage: str | None = None,
    account: str | None = None,
    segment: str | None = None,
    filter: str | None = None,  # noqa: A002 - the public name of the parameter
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> Page[Customer]:
    """One page of customers matching every filter given (`filter` is segment-language text)."""
    query = select(Customer)
    if q:
        needle = q.strip().lower()
        query = query.where(
            or_(
                func.lower(Customer.external_id).contains(needle, autoescape=True),
                func.lower(Customer.email).contains(needle, autoescape=True),
                func.lower(Customer.name).contains(needle, autoescape=True),
            )
        )
    if stage:
        query = query.where(Customer.stage_id.in_(journeys.stage_ids_by_key(session, key=stage)))
    if account:
        query = query.where(
            exists(select(literal(1)).where(Account.id == Customer.account_id, Account.external_id == account))
        )
    if segment:
        segment_id = session.scalar(select(Segment.id).where(Segment.key == segment))
        if segment_id is None:
            raise InvalidInput("unknown segment", errors=[FieldError("segment", f"no segment with key '{segment}'")])
        query = query.where(
            exists().where(SegmentMember.segment_id == segment_id, SegmentMember.customer_id == Customer.id)
        )
    if filter:
        query = query.where(compile_filter(membership.parsed_filter(filter), now=now or utcnow()))
    query = query.order_by(*order_clause(sort, SORTS, "id"))
    return paginate(session, query, limit=limit, offset=offset)


def customer_reads(session: Session, customers: Sequence[Customer]) -> list[CustomerRead]:
    """API shapes for customers, with account external ids and stage keys looked up in two queries."""
    account_ids = {c.account_id for c in customers if c.account_id is not None}
    accounts: dict[int, str] = {}
    if account_ids:
        rows = session.execute(select(Account.id, Account.external_id).where(Account.id.in_(account_ids)))
        accounts = {row.id: row.external_id for row in rows}
    stages = journeys.stage_keys(session, stage_ids=(c.stage_id for c in customers if c.stage_id is not None))
    return [
        CustomerRead(
            id=c.id,
            external_id=c.external_id,
            email=c.email,
            phone=c.phone,
            name=c.name,
            locale=c.locale,
            timezone=c.timezone,
            attributes=c.attributes or {},
            account_id=c.account_id,
            account_external_id=accounts.get(c.account_id) if c.account_id is not None else None,
            signup_date=c.signup_date,
            stage=stages.get(c.stage_id) if c.stage_id is not None else None,
            stage_id=c.stage_id,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in customers
    ]
