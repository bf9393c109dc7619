"""Read-side SQL of the driver analysis: the candidate themes and segments, and every scored response folded into
groups of identical features in one GROUP BY, each with its count and the sums of its coded scores and their squares
(all least squares needs), so a million responses come back as far fewer rows.

Themes and segments are many-to-one per response, so each is folded into a bit mask in a grouped subquery (one bit
per candidate, at most MAX_BITS of them) before the main GROUP BY. Helpdesk measures come from the customer's
ticket events (docs/channels-helpdesk-reviews.md names their properties) in the TICKET_WINDOW before the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Interval, Select, case, distinct, exists, func, literal, literal_column, select
from sqlalchemy.orm import Session

from cxloop.collection.models import Response
from cxloop.customers.models import Account, Customer, Event, Segment, SegmentMember
from cxloop.surveys.scales import SCALES
from cxloop.text.themes.models import Theme, ThemeAssignment

MAX_BITS = 30  # themes (and segments) per analysis: bits of a mask that sums safely in any integer column
TICKET_EVENTS = ("ticket_solved", "chat_ended")
TICKET_WINDOW = timedelta(days=30)
LONG_WAIT_MINUTES = 120
# Account size by annual recurring revenue: (label, lowest ARR) from the top; an account without ARR has no size.
SIZES = (("ARR 100k+", 100_000), ("ARR 10k-100k", 10_000), ("ARR under 10k", 0))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A theme or segment that may drive the score: its id, key and display name, and how often it occurs."""

    id: int
    key: str
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class Scope:
    """Which responses the analysis reads: one metric's scores in [start, end), optionally one segment's.
    `coding` maps the score to the value whose mean is the metric: ((low, high, value), ...) by score range, or
    None for the score itself (CES)."""

    metric: str
    start: datetime | None
    end: datetime | None
    segment_id: int | None
    coding: tuple[tuple[int, int, int], ...] | None = None


# One row per group of responses with the same features: the KEYS, then the SUMS of its responses' coded scores.
KEYS = (
    "touchpoint",
    "stage",
    "channel",
    "plan",
    "size",
    "themes",
    "segments",
    "commented",
    "ticket",
    "long_wait",
    "transferred",
    "reopened",
    "held_out",
)
SUMS = ("n", "sy", "syy", "high", "low")
HELD_OUT_ONE_IN = 5  # a response is held out of the fit when (id * 7919) % 5 = 0: a fixed, spread 20%


def top_themes(session: Session, *, limit: int = MAX_BITS) -> list[Candidate]:
    """The visible themes (not hidden, merged or retired) most often found in response comments."""
    mentions = func.count(ThemeAssignment.id)
    query = (
        select(Theme.id, Theme.name, mentions)
        .join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
        .where(
            ThemeAssignment.item_kind == "response",
            Theme.hidden.is_(False),
            Theme.merged_into_id.is_(None),
            Theme.retired_at.is_(None),
        )
        .group_by(Theme.id, Theme.name)
        .order_by(mentions.desc(), Theme.id)
        .limit(min(limit, MAX_BITS))
    )
    return [Candidate(row[0], str(row[0]), row[1], int(row[2])) for row in session.execute(query)]


def segments(session: Session, *, leave_out: int | None, limit: int = MAX_BITS) -> list[Candidate]:
    """The segments (the largest first) whose membership may drive the score; `leave_out` is the one analysed."""
    members = func.count(SegmentMember.customer_id)
    query = (
        select(Segment.id, Segment.key, Segment.name, members)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .group_by(Segment.id, Segment.key, Segment.name)
        .order_by(members.desc(), Segment.id)
        .limit(min(limit, MAX_BITS))
    )
    if leave_out is not None:
        query = query.where(Segment.id != leave_out)
    return [Candidate(row[0], row[1], row[2], int(row[3])) for row in session.execute(query)]


def segment_id(session: Session, *, key: str) -> tuple[int, str] | None:
    """(id, display name) of the segment with this key."""
    row = session.execute(select(Segment.id, Segment.name).where(Segment.key == key)).first()
    return None if row is None else (row[0], row[1])


def has_ticket_events(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Event.name.in_(TICKET_EVENTS)))))


def _scored(scope: Scope) -> list[Any]:
    score = getattr(Response, scope.metric)
    where = [score.between(*SCALES[scope.metric])]
    if scope.start is not None:
        where.append(Response.submitted_at >= scope.start)
    if scope.end is not None:
        where.append(Response.submitted_at < scope.end)
    if scope.segment_id is not None:
        members = select(SegmentMember.customer_id).where(SegmentMember.segment_id == scope.segment_id)
        where.append(Response.customer_id.in_(members))
    return where


def _mask(value: Any, ids: list[int]) -> Any:
    """SUM(DISTINCT bit of each listed id): the set of ids as one integer (bit i = ids[i])."""
    bits = case(*((value == item, literal(1 << i)) for i, item in enumerate(ids)), else_=literal(0))
    return func.sum(distinct(bits)).label("mask")


def _window_start(dialect: str) -> Any:
    if dialect == "sqlite":  # naive UTC text: compare as text, the bound cut to whole seconds
        return func.datetime(Response.submitted_at, f"-{TICKET_WINDOW.days} days")
    return Response.submitted_at - literal_column(f"INTERVAL '{TICKET_WINDOW.days} days'", Interval)


def _tickets(session: Session, scope: Scope) -> Any:
    """Per response: whether the customer had a ticket in the window before it, and its worst wait, transfers
    and reopens."""
    wait = Event.properties["wait_minutes"].as_float()
    transfers = Event.properties["transfers"].as_float()
    reopens = Event.properties["reopens"].as_float()
    dialect = session.get_bind().dialect.name
    query = (
        select(
            Response.id.label("response_id"),
            func.max(case((wait > LONG_WAIT_MINUTES, 1), else_=0)).label("long_wait"),
            func.max(case((transfers > 0, 1), else_=0)).label("transferred"),
            func.max(case((reopens > 0, 1), else_=0)).label("reopened"),
        )
        .join(Event, Event.customer_id == Response.customer_id)
        .where(
            *_scored(scope),
            Event.name.in_(TICKET_EVENTS),
            Event.occurred_at <= Response.submitted_at,
            Event.occurred_at >= _window_start(dialect),
        )
        .group_by(Response.id)
    )
    return query.subquery("tickets")


def _coded(scope: Scope) -> Any:
    score = getattr(Response, scope.metric)
    if scope.coding is None:
        return score
    return case(*((score.between(low, high), literal(value)) for low, high, value in scope.coding))


def grouped_rows(
    session: Session, *, scope: Scope, theme_ids: list[int], segment_ids: list[int], tickets: bool
) -> list[tuple[Any, ...]]:
    """Every scored response in scope, grouped by KEYS, with its SUMS: count, sum of coded scores, of their squares,
    and how many have the highest and the lowest coded value."""
    zero = literal(0, Integer)
    joins: list[tuple[Any, Any]] = []
    theme_mask: Any = zero
    if theme_ids:
        themes = (
            select(ThemeAssignment.item_id, _mask(ThemeAssignment.theme_id, theme_ids))
            .where(ThemeAssignment.item_kind == "response", ThemeAssignment.theme_id.in_(theme_ids))
            .group_by(ThemeAssignment.item_id)
            .subquery("theme_masks")
        )
        joins.append((themes, themes.c.item_id == Response.id))
        theme_mask = func.coalesce(themes.c.mask, 0)
    # What belongs to the customer (plan, segments) is read once per customer, then joined once per response.
    size = case(*((Account.arr >= low, literal(label)) for label, low in SIZES), else_=None)
    customer = select(Customer.id.label("customer_id"), Account.plan.label("plan"), size.label("size")).outerjoin(
        Account, Account.id == Customer.account_id
    )
    if segment_ids:
        members = (
            select(SegmentMember.customer_id, _mask(SegmentMember.segment_id, segment_ids))
            .where(SegmentMember.segment_id.in_(segment_ids))
            .group_by(SegmentMember.customer_id)
            .subquery("segment_masks")
        )
        customer = customer.add_columns(func.coalesce(members.c.mask, 0).label("mask")).outerjoin(
            members, members.c.customer_id == Customer.id
        )
    else:
        customer = customer.add_columns(zero.label("mask"))
    customers = customer.subquery("customer_features")
    joins.append((customers, customers.c.customer_id == Response.customer_id))
    segment_mask: Any = func.coalesce(customers.c.mask, 0) if segment_ids else zero
    ticket_columns: list[Any] = [zero, zero, zero, zero]
    if tickets:
        found = _tickets(session, scope)
        joins.append((found, found.c.response_id == Response.id))
        ticket_columns = [
            case((found.c.response_id.is_not(None), 1), else_=0),
            func.coalesce(found.c.long_wait, 0),
            func.coalesce(found.c.transferred, 0),
            func.coalesce(found.c.reopened, 0),
        ]
    commented = case((func.length(func.coalesce(Response.comment, "")) > 0, 1), else_=0)
    held_out = case(((Response.id * 7919) % HELD_OUT_ONE_IN == 0, 1), else_=0)
    keys = [
        Response.touchpoint_id,
        Response.stage_id,
        Response.channel,
        customers.c.plan,
        customers.c.size,
        theme_mask,
        segment_mask,
        commented,
        *ticket_columns,
        held_out,
    ]
    labelled = [column.label(name) for column, name in zip(keys, KEYS, strict=True)]
    value = _coded(scope)
    top, bottom = (max(c[2] for c in scope.coding), min(c[2] for c in scope.coding)) if scope.coding else (0, 0)
    sums = [
        func.count(),
        func.sum(value),
        func.sum(value * value),
        func.sum(case((value == top, 1), else_=0)),
        func.sum(case((value == bottom, 1), else_=0)),
    ]
    query: Select[Any] = select(*labelled, *sums).select_from(Response)
    for table, condition in joins:
        query = query.outerjoin(table, condition)
    # Constant columns (no themes, no tickets) stay out of GROUP BY, which could read them as column positions.
    grouped = [label for column, label in zip(keys, labelled, strict=True) if column is not zero]
    query = query.where(*_scored(scope)).group_by(*grouped)
    # Straight from the connection: no ORM row processing for what may be 100,000s of rows.
    return [tuple(row) for row in session.connection().execute(query).all()]
