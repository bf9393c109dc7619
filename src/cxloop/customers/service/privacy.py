"""What the customers domain holds about one person (the customer row, events, outcomes, segment memberships), for
privacy access and erasure requests, and the retention of events (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.orm import Session

from cxloop.core.errors import Conflict, FieldError, InvalidInput, NotFound
from cxloop.customers.models import Account, Customer, Event, Outcome, Segment, SegmentMember
from cxloop.customers.service.customers import customer_reads, delete_customer
from cxloop.customers.service.events import event_reads
from cxloop.customers.service.outcomes import outcome_reads
from cxloop.customers.service.segments import customer_segment_keys
from cxloop.storage.text_scrub import scrub_columns

PRIVACY_TABLES = ("customers", "events", "outcomes", "segment_members", "accounts")
_ANONYMISED = {"anonymised": True}


def find_customer(session: Session, *, reference: str) -> Customer:
    """The customer a privacy request names: an external id first, then an email (case-insensitive), then the cxloop
    id (digits). NotFound when none; Conflict when an email belongs to several customers."""
    text = reference.strip()
    if not text:
        raise InvalidInput("name the customer", errors=[FieldError("customer", "must not be empty")])
    found = session.scalar(select(Customer).where(Customer.external_id == text))
    if found is not None:
        return found
    if "@" in text:
        matches = session.scalars(select(Customer).where(func.lower(Customer.email) == text.lower()).limit(2)).all()
        if len(matches) > 1:
            raise Conflict(
                "several customers have this email",
                errors=[FieldError("customer", "the email is not unique: name the customer by external id or id")],
            )
        if matches:
            return matches[0]
    if text.isdigit():
        by_id = session.get(Customer, int(text))
        if by_id is not None:
            return by_id
    raise NotFound(
        "no such customer", errors=[FieldError("customer", f"no customer has the external id, email or id {text!r}")]
    )


def _their_events(customer_id: int) -> Any:
    """Their events, and the events sent under one of their anonymous ids but never linked to them."""
    anonymous = select(Event.anonymous_id).where(Event.customer_id == customer_id, Event.anonymous_id.is_not(None))
    return or_(Event.customer_id == customer_id, Event.customer_id.is_(None) & Event.anonymous_id.in_(anonymous))


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """The customer row, their events, outcomes and segment keys, as JSON-ready dicts."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return {}
    events = session.scalars(select(Event).where(_their_events(customer_id)).order_by(Event.id)).all()
    outcomes = session.scalars(select(Outcome).where(Outcome.customer_id == customer_id).order_by(Outcome.id)).all()
    return {
        "customer": [read.model_dump(mode="json") for read in customer_reads(session, [customer])],
        "events": [read.model_dump(mode="json") for read in event_reads(session, events)],
        "outcomes": [read.model_dump(mode="json") for read in outcome_reads(session, outcomes)],
        "segments": [{"key": key} for key in customer_segment_keys(session, customer_id=customer_id)],
    }


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete the customer with everything cascading from them (delete_customer: rollups and listeners are told);
    rows removed per table. Run after the other domains' erasers: their rows point at the customer."""
    unlinked = list(session.scalars(select(Event.id).where(_their_events(customer_id), Event.customer_id.is_(None))))
    if unlinked:
        session.execute(delete(Event).where(Event.id.in_(unlinked)))
    removed = {
        "events": [*unlinked, *session.scalars(select(Event.id).where(Event.customer_id == customer_id))],
        "outcomes": list(session.scalars(select(Outcome.id).where(Outcome.customer_id == customer_id))),
        "segment_members": list(
            session.scalars(select(SegmentMember.segment_id).where(SegmentMember.customer_id == customer_id))
        ),
        "customers": [customer_id],
    }
    delete_customer(session, customer_id=customer_id)
    return {table: len(ids) for table, ids in removed.items()}


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace a person's identifiers in the free text of other customers, events, outcomes, accounts and segments
    (a filter naming their email keeps working: the quoted value becomes "[erased]")."""
    tables = (
        (Customer, ("attributes",)),
        (Segment, ("name", "description", "filter")),
        (Event, ("properties",)),
        (Outcome, ("note",)),
        (Account, ("owner", "attributes")),
    )
    return sum(
        scrub_columns(session, cast(Table, model.__table__), columns, needles=needles) for model, columns in tables
    )


def event_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:
    """Events that occurred before `before`: deleted, or anonymised (no customer, no properties); with limit None,
    only counted (a dry run). Returns the rows touched (or that would be)."""
    pending = Event.occurred_at < before
    if action == "anonymise":
        pending = pending & or_(Event.customer_id.is_not(None), Event.anonymous_id.is_not(None))
    if limit is None:
        return session.scalar(select(func.count()).select_from(Event).where(pending)) or 0
    ids = session.scalars(select(Event.id).where(pending).order_by(Event.id).limit(limit)).all()
    if not ids:
        return 0
    if action == "delete":
        session.execute(delete(Event).where(Event.id.in_(ids)))
    else:
        session.execute(
            update(Event).where(Event.id.in_(ids)).values(customer_id=None, anonymous_id=None, properties=_ANONYMISED)
        )
    return len(ids)
