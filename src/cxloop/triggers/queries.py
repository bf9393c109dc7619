"""Read-side SQL of the triggers: events to evaluate, segment membership, customers whose date is due, and
invitations due to be sent or reminded. Joins tables of lower domains read-only (STYLE.md's queries exception)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from cxloop.customers.models import Account, Customer, Event, SegmentMember
from cxloop.governance.channels import registry as channels
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.models import Invitation
from cxloop.surveys.models import Survey
from cxloop.triggers import rules

_CHUNK = 1000


@dataclass(frozen=True)
class StoredEvent:
    id: int
    customer_id: int
    name: str
    properties: dict[str, Any]
    occurred_at: datetime
    received_at: datetime


def _events(rows: Iterable[Any]) -> list[StoredEvent]:
    return [StoredEvent(r.id, r.customer_id, r.name, r.properties or {}, r.occurred_at, r.received_at) for r in rows]


_EVENT_COLUMNS = (Event.id, Event.customer_id, Event.name, Event.properties, Event.occurred_at, Event.received_at)


def events_by_id(session: Session, event_ids: Sequence[int]) -> list[StoredEvent]:
    """The events with these ids that belong to a customer."""
    found: list[StoredEvent] = []
    ids = sorted(set(event_ids))
    for start in range(0, len(ids), _CHUNK):
        query = select(*_EVENT_COLUMNS).where(Event.id.in_(ids[start : start + _CHUNK]), Event.customer_id.is_not(None))
        found += _events(session.execute(query))
    return found


def recent_events(session: Session, *, names: Iterable[str], since: datetime) -> list[StoredEvent]:
    """Events of these names that occurred since `since` and belong to a customer (the name/occurred_at index)."""
    query = select(*_EVENT_COLUMNS).where(
        Event.name.in_(sorted(set(names))), Event.occurred_at >= since, Event.customer_id.is_not(None)
    )
    return _events(session.execute(query.order_by(Event.id)))


def members(session: Session, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (segment_id, customer_id) pairs among these that are segment members."""
    wanted = set(pairs)
    by_segment: dict[int, list[int]] = {}
    for segment_id, customer_id in wanted:
        by_segment.setdefault(segment_id, []).append(customer_id)
    found: set[tuple[int, int]] = set()
    for segment_id, customer_ids in by_segment.items():
        ids = sorted(customer_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = session.scalars(
                select(SegmentMember.customer_id).where(
                    SegmentMember.segment_id == segment_id, SegmentMember.customer_id.in_(ids[start : start + _CHUNK])
                )
            )
            found.update((segment_id, customer_id) for customer_id in rows)
    return found


def existing_occurrences(session: Session, keys: Iterable[str]) -> set[str]:
    """The occurrence keys among these that already have an invitation."""
    ordered = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(ordered), _CHUNK):
        found.update(
            session.scalars(
                select(Invitation.occurrence_key).where(Invitation.occurrence_key.in_(ordered[start : start + _CHUNK]))
            ).all()  # type: ignore[arg-type]
        )
    return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def anchored_customers(
    session: Session,
    *,
    anchor: str,
    segment_id: int | None,
    offset_days: int,
    repeat_days: int | None,
    first: date,
    last: date,
) -> list[tuple[int, date]]:
    """(customer id, anchor date) of every customer with an occurrence in [first, last], selected in SQL.

    The anchor ranges come from rules.anchor_ranges, so the database compares the anchor column with constant
    bounds (an index range scan where one exists) and Python only computes the date of the few rows returned."""
    event_name = rules.first_event_name(anchor)
    id_column: ColumnElement[Any]
    anchor_column: ColumnElement[Any]
    if event_name is not None:
        firsts = (
            select(Event.customer_id.label("customer_id"), func.min(Event.occurred_at).label("anchor"))
            .where(Event.name == event_name, Event.customer_id.is_not(None))
            .group_by(Event.customer_id)
            .subquery()
        )
        id_column, anchor_column = firsts.c.customer_id, firsts.c.anchor
        base = select(id_column, anchor_column)
    elif anchor == rules.RENEWAL:
        id_column, anchor_column = Customer.id.expression, Account.renewal_date.expression
        base = select(id_column, anchor_column).join(Account, Account.id == Customer.account_id)
    else:
        id_column, anchor_column = Customer.id.expression, Customer.signup_date.expression
        base = select(id_column, anchor_column)
    anchors = base.subquery()
    oldest = session.scalar(select(func.min(list(anchors.c)[1])))
    if oldest is None:
        return []
    if isinstance(oldest, datetime):
        oldest = oldest.date()
    elif isinstance(oldest, str):  # SQLite returns MIN() over a subquery column untyped
        oldest = date.fromisoformat(oldest[:10])
    ranges = rules.anchor_ranges(
        offset_days=offset_days, repeat_days=repeat_days, first=first, last=last, oldest=oldest
    )
    if not ranges:
        return []
    if event_name is not None:  # a datetime column: [lo 00:00, hi + 1 day 00:00)
        bounds = [
            and_(anchor_column >= _midnight(lo), anchor_column < _midnight(hi + timedelta(days=1))) for lo, hi in ranges
        ]
    else:
        bounds = [anchor_column.between(lo, hi) for lo, hi in ranges]
    query = base.where(or_(*bounds))
    if segment_id is not None:
        query = query.join(
            SegmentMember, and_(SegmentMember.customer_id == id_column, SegmentMember.segment_id == segment_id)
        )
    found: list[tuple[int, date]] = []
    for customer_id, value in session.execute(query):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        found.append((customer_id, value.date() if isinstance(value, datetime) else value))
    return found


def _free(now: datetime) -> ColumnElement[bool]:
    """Not held by a worker sending it right now, nor waiting out a retry delay (jobs/leases.py)."""
    return or_(Invitation.lease_until.is_(None), Invitation.lease_until <= now)


def due_invitations(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Ids of scheduled email and SMS invitations whose time has come and that have not expired, oldest first.
    (Link and widget invitations are never sent: the customer comes to them.)"""
    query = (
        select(Invitation.id)
        .where(
            Invitation.status == InvitationStatus.scheduled.value,
            Invitation.channel.in_(sorted(channels.addressed())),
            Invitation.scheduled_for <= now,
            Invitation.expires_at > now,
            _free(now),
        )
        .order_by(Invitation.scheduled_for, Invitation.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def reminder_terms(session: Session) -> list[tuple[int, int, datetime | None]]:
    """(survey id, reminder_after_days, reminders_since) of every survey that sends reminders."""
    rows = session.execute(
        select(Survey.id, Survey.reminder_after_days, Survey.reminders_since).where(
            Survey.reminder_after_days.is_not(None)
        )
    )
    return [(survey_id, days, since) for survey_id, days, since in rows if days is not None]


def reminder_candidates(
    session: Session,
    *,
    survey_ids: Sequence[int],
    sent_before: datetime,
    sent_since: datetime | None = None,
    now: datetime,
    limit: int,
) -> list[int]:
    """Invitations to these surveys sent (or opened) in [`sent_since`, `sent_before`], never answered nor reminded,
    their reminder not dropped, and not expired."""
    if not survey_ids:
        return []
    query = (
        select(Invitation.id)
        .where(
            Invitation.survey_id.in_(survey_ids),
            Invitation.status.in_([InvitationStatus.sent.value, InvitationStatus.opened.value]),
            Invitation.reminded_at.is_(None),
            Invitation.reminder_dropped.is_(None),
            Invitation.answered_at.is_(None),
            Invitation.sent_at <= sent_before,
            Invitation.expires_at > now,
            _free(now),
        )
        .order_by(Invitation.id)
        .limit(limit)
    )
    if sent_since is not None:
        query = query.where(Invitation.sent_at >= sent_since)
    return list(session.scalars(query))
