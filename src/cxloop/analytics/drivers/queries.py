"""Read-side SQL of the driver analysis: the candidate themes and segments, and the features of every scored
response in a few narrow reads, which analytics/drivers/grouping.py folds into groups of identical features.

One read per source, each without joins to the others: the responses in scope (one row each: ids, touchpoint,
stage, channel, whether commented, score), the theme mask of each response about a candidate theme (one bit per
theme, at most MAX_BITS), each customer's account plan and size, each customer's segment mask, and the helpdesk
flags of the responses whose customer had a ticket event (docs/channels-helpdesk-reviews.md names their properties)
in the TICKET_WINDOW before the answer. Joining them in SQL and grouping there cost 5 s of CPU at 1M responses on
SQLite and 7-10 s on PostgreSQL (a million-row sort or a spilling hash aggregate); in numpy it is a fraction of a
second (docs/benchmarks.md, "Key drivers").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Interval, Select, case, exists, func, literal, literal_column, select
from sqlalchemy.orm import Session

from cxloop.collection.enums import Channel
from cxloop.collection.models import Response
from cxloop.customers.models import Account, Customer, Event, Segment, SegmentMember
from cxloop.surveys.scales import SCALES
from cxloop.text.themes.models import Theme, ThemeAssignment

Ints = NDArray[np.int64]
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


@dataclass(frozen=True, slots=True)
class Answers:
    """The scored responses in scope as columns, one element per response: customer, touchpoint and stage are 0
    when the response has none; `channels` are codes into `channel_names`; `commented` is 1 when it has a comment;
    `scores` the metric's raw answers."""

    ids: Ints
    customers: Ints
    touchpoints: Ints
    stages: Ints
    channels: Ints
    channel_names: list[str]
    commented: Ints
    scores: Ints


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


def _window_start(dialect: str) -> Any:
    if dialect == "sqlite":  # naive UTC text: compare as text, the bound cut to whole seconds
        return func.datetime(Response.submitted_at, f"-{TICKET_WINDOW.days} days")
    return Response.submitted_at - literal_column(f"INTERVAL '{TICKET_WINDOW.days} days'", Interval)


def _bits(value: Any, ids: Sequence[int]) -> Any:
    """SUM of one bit per listed id (bit i = ids[i]): the set of ids as one integer. Each (item, id) pair is unique
    (the tables' keys), so no bit is added twice."""
    return func.sum(case(*((value == item, literal(1 << i)) for i, item in enumerate(ids)), else_=literal(0)))


def _rows(session: Session, query: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Straight from the DB-API cursor: no row objects for what may be a million rows of plain values (nothing here
    needs a result type's conversion)."""
    result = session.connection().execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _integers(session: Session, query: Select[*tuple[Any, ...]], width: int) -> Ints:
    """The rows of a query of `width` integer columns as a matrix (one pass, no tuple per column)."""
    rows = _rows(session, query)
    return np.fromiter(chain.from_iterable(rows), np.int64, len(rows) * width).reshape(len(rows), width)


def answers(session: Session, scope: Scope) -> Answers:
    """Every scored response in scope, one element per response in each column."""
    names = [channel.value for channel in Channel]
    found = _answers(session, scope, names)
    if (found[:, 4] == 0).any():  # a channel outside the vocabulary (none is accepted on write): read it by name
        others = select(Response.channel).where(*_scored(scope), Response.channel.not_in(names)).distinct()
        names += sorted(session.scalars(others))
        found = _answers(session, scope, names)
    ids, customers, touchpoints, stages, channels, commented, scores = found.T
    return Answers(ids, customers, touchpoints, stages, channels - 1, names, commented, scores)


def _answers(session: Session, scope: Scope, channels: Sequence[str]) -> Ints:
    """id, customer, touchpoint, stage, channel (1 + its index in `channels`; 0 when not there), commented, score."""
    channel = case(*((Response.channel == name, i + 1) for i, name in enumerate(channels)), else_=0)
    commented = case((func.length(func.coalesce(Response.comment, "")) > 0, 1), else_=0)
    query = select(
        Response.id,
        func.coalesce(Response.customer_id, 0),
        func.coalesce(Response.touchpoint_id, 0),
        func.coalesce(Response.stage_id, 0),
        channel,
        commented,
        getattr(Response, scope.metric),
    ).where(*_scored(scope))
    return _integers(session, query, 7)


def theme_masks(session: Session, *, theme_ids: Sequence[int], first: int, last: int) -> Ints:
    """Rows (response id, mask) of the responses with ids first..last about at least one of `theme_ids`."""
    query = (
        select(ThemeAssignment.item_id, _bits(ThemeAssignment.theme_id, theme_ids))
        .where(
            ThemeAssignment.item_kind == "response",
            ThemeAssignment.item_id.between(first, last),
            ThemeAssignment.theme_id.in_(theme_ids),
        )
        .group_by(ThemeAssignment.item_id)
    )
    return _integers(session, query, 2)


def accounts(session: Session) -> list[tuple[Any, ...]]:
    """(customer id, plan, size) of each customer with an account."""
    size = case(*((Account.arr >= low, literal(label)) for label, low in SIZES), else_=None)
    return _rows(session, select(Customer.id, Account.plan, size).join(Account, Account.id == Customer.account_id))


def segment_masks(session: Session, *, segment_ids: Sequence[int]) -> Ints:
    """Rows (customer id, mask) of the customers in at least one of `segment_ids`."""
    query = (
        select(SegmentMember.customer_id, _bits(SegmentMember.segment_id, segment_ids))
        .where(SegmentMember.segment_id.in_(segment_ids))
        .group_by(SegmentMember.customer_id)
    )
    return _integers(session, query, 2)


def ticket_flags(session: Session, scope: Scope) -> Ints:
    """Rows (response id, long wait, transferred, reopened) of the responses in scope whose customer had a ticket in the
    TICKET_WINDOW before them: each flag 1 when any of those tickets had it."""
    wait = Event.properties["wait_minutes"].as_float()
    transfers = Event.properties["transfers"].as_float()
    reopens = Event.properties["reopens"].as_float()
    dialect = session.get_bind().dialect.name
    query = (
        select(
            Response.id,
            func.max(case((wait > LONG_WAIT_MINUTES, 1), else_=0)),
            func.max(case((transfers > 0, 1), else_=0)),
            func.max(case((reopens > 0, 1), else_=0)),
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
    return _integers(session, query, 4)
