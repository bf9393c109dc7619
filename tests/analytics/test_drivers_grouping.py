"""The driver analysis' groups (narrow reads in drivers/queries.py, folded in numpy by drivers/grouping.py) equal a
plain per-response recount in Python over a random organisation: touchpoints, stages and channels (some missing),
accounts with and without plan and ARR, anonymous answers, overlapping segments, comments with several themes, and
support tickets inside, outside and at the edges of the 30-day window, for every metric and scope."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxloop.analytics.drivers import grouping, queries
from cxloop.analytics.drivers import service as key_drivers
from cxloop.analytics.enums import MetricKind
from cxloop.collection.models import Response
from cxloop.core.clock import ensure_utc
from cxloop.customers.models import Account, Customer, Event, SegmentMember
from cxloop.storage.database import Database
from cxloop.surveys.scales import SCALES
from cxloop.text.themes import service as themes
from cxloop.text.themes.models import ThemeAssignment
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.customers import make_account, make_events
from tests.factories.responses import add_scored, random_scored, random_world

COMMENTS = ("late again", "price too high", "late and the price", "rude agent, late", "", "fine", None)
Key = tuple[Any, ...]


@pytest.fixture
def world(db: Database) -> Database:
    rng = random.Random(11)
    with db.unit_of_work() as session:
        made = random_world(session, seed=11, customers=30)
        add_scored(session, random_scored(rng, made, 700))
        accounts = [
            make_account(session, name="Big", plan="enterprise", arr=Decimal(250_000)),
            make_account(session, name="Mid", plan="growth", arr=Decimal(20_000)),
            make_account(session, name="No ARR", plan="starter"),
            make_account(session, name="No plan", arr=Decimal(500)),
        ]
        for i, customer in enumerate(made.customers):
            account = [*accounts, None][i % 5]
            session.execute(update(Customer).where(Customer.id == customer).values(account_id=account))
        chosen: dict[str | None, list[int]] = defaultdict(list)
        for response_id in session.scalars(select(Response.id)):
            chosen[rng.choice(COMMENTS)].append(response_id)
        for comment, ids in chosen.items():
            session.execute(update(Response).where(Response.id.in_(ids)).values(comment=comment))
        # A channel outside the vocabulary (older data, a direct import): read by name like any other.
        session.execute(update(Response).where(Response.id % 9 == 0).values(channel="pigeon"))
        for name, phrases in (("Late", ["late"]), ("Price", ["price"]), ("Rude", ["rude"])):
            themes.add_rule(session, data=RuleCreate(name=name, phrases=phrases))
        answered = list(
            session.execute(
                select(Customer.external_id, Response.submitted_at)
                .join(Customer, Customer.id == Response.customer_id)
                .order_by(Response.id)
            )
        )
        for i, (external_id, at) in enumerate(rng.sample(answered, 60)):
            offset = rng.choice((timedelta(0), timedelta(days=3), timedelta(days=29), timedelta(days=31)))
            make_events(
                session,
                external_id,
                rng.choice(("ticket_solved", "chat_ended", "order_shipped")),
                [ensure_utc(at) - offset + rng.choice((timedelta(0), timedelta(hours=5)))],
                properties={"wait_minutes": rng.choice((30, 121, 400)), "transfers": rng.choice((0, 2))}
                | ({"reopens": 1} if rng.random() < 0.3 else {}),
                external_id=f"t{i}",
            )
    return db


def recount(session: Session, scope: queries.Scope, theme_ids: list[int], segment_ids: list[int]) -> dict[Key, list]:
    """Per response, in Python: its features (theme and segment sets, not masks) and its coded score, summed."""
    low, high = SCALES[scope.metric]
    assigned: dict[int, set[int]] = defaultdict(set)
    for item_id, theme_id in session.execute(
        select(ThemeAssignment.item_id, ThemeAssignment.theme_id).where(ThemeAssignment.item_kind == "response")
    ):
        if theme_id in theme_ids:
            assigned[item_id].add(theme_id)
    members: dict[int, set[int]] = defaultdict(set)
    for customer_id, segment_id in session.execute(select(SegmentMember.customer_id, SegmentMember.segment_id)):
        members[customer_id].add(segment_id)
    account_of = {row.id: row.account_id for row in session.execute(select(Customer.id, Customer.account_id))}
    accounts = {a.id: a for a in session.scalars(select(Account))}
    tickets: dict[int, list[Event]] = defaultdict(list)
    for event in session.scalars(select(Event).where(Event.name.in_(queries.TICKET_EVENTS))):
        tickets[event.customer_id].append(event)
    groups: dict[Key, list] = defaultdict(lambda: [0, 0, 0, 0, 0])
    coding = scope.coding
    values = [value for _, _, value in coding] if coding else [0]
    for response in session.scalars(select(Response)):
        score = getattr(response, scope.metric)
        if score is None or not low <= score <= high:
            continue
        at = ensure_utc(response.submitted_at)
        if (scope.start and at < scope.start) or (scope.end and at >= scope.end):
            continue
        if scope.segment_id is not None and scope.segment_id not in members.get(response.customer_id, set()):
            continue
        account = accounts.get(account_of.get(response.customer_id))  # type: ignore[arg-type]
        size = None
        if account is not None and account.arr is not None:
            size = next(label for label, floor in queries.SIZES if account.arr >= floor)
        window = [
            e
            for e in tickets.get(response.customer_id, [])
            if at - queries.TICKET_WINDOW <= ensure_utc(e.occurred_at) <= at
        ]
        flags = [
            int(any(float(e.properties.get(name, 0)) > limit for e in window))
            for name, limit in (("wait_minutes", queries.LONG_WAIT_MINUTES), ("transfers", 0), ("reopens", 0))
        ]
        key = (
            response.touchpoint_id,
            response.stage_id,
            response.channel,
            account.plan if account else None,
            size,
            frozenset(assigned.get(response.id, set())),
            frozenset(members.get(response.customer_id, set()) & set(segment_ids)),
            int(bool(response.comment)),
            int(bool(window)),
            *flags,
            int(response.id * 7919 % grouping.HELD_OUT_ONE_IN == 0),
        )
        coded = score if coding is None else next(v for lo, hi, v in coding if lo <= score <= hi)
        sums = groups[key]
        for i, amount in enumerate((1, coded, coded * coded, coded == max(values), coded == min(values))):
            sums[i] += amount
    return dict(groups)


def as_found(grouped: grouping.Grouped, theme_ids: list[int], segment_ids: list[int]) -> dict[Key, list]:
    def members(mask: int, ids: list[int]) -> frozenset[int]:
        return frozenset(item for bit, item in enumerate(ids) if mask >> bit & 1)

    found: dict[Key, list] = {}
    for row in range(len(grouped.figures)):
        key = [grouped.levels[name][grouped.table[name][row]] for name in grouping.CATEGORIES]
        key += [members(int(grouped.table["themes"][row]), theme_ids)]
        key += [members(int(grouped.table["segments"][row]), segment_ids)]
        key += [int(grouped.table[name][row]) for name in grouping.FLAGS]
        assert tuple(key) not in found, "two groups with the same features"
        found[tuple(key)] = [int(v) for v in grouped.figures[row]]
    return found


def test_groups_equal_a_recount_per_response(world: Database) -> None:
    with world.unit_of_work() as session:
        theme_ids = [t.id for t in queries.top_themes(session)]
        segments = queries.segments(session, leave_out=None)
        segment_ids = [s.id for s in segments]
        assert len(theme_ids) == 3 and len(segment_ids) == 2 and queries.has_ticket_events(session)
        scopes = [
            queries.Scope(kind.value, None, None, segment, key_drivers.CODING[kind])
            for kind in MetricKind
            for segment in (None, segment_ids[0])
        ]
        since, until = datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
        scopes.append(queries.Scope("nps", since, until, segment_ids[1], None))  # raw scores, one segment, dates
        features: list[Key] = []
        for scope in scopes:
            chosen = [s for s in segment_ids if s != scope.segment_id]
            grouped = key_drivers.read_groups(
                session, scope, queries.top_themes(session), [s for s in segments if s.id in chosen], tickets=True
            )
            expected = recount(session, scope, theme_ids, chosen)
            assert as_found(grouped, theme_ids, chosen) == expected
            assert sum(n for n, *_ in expected.values()) > 20
            features += expected
    # The world exercises what it should: missing touchpoints, accounts without plan or ARR, tickets and flags.
    levels = grouped.levels
    assert None in levels["touchpoint"] and None in levels["plan"] and None in levels["size"]
    assert "pigeon" in levels["channel"]
    assert (
        any(key[8] for key in features) and any(key[9] for key in features) and any(len(key[5]) > 1 for key in features)
    )


def test_lookup_finds_positions_in_dense_and_sparse_ids() -> None:
    found = np.array([7, 3, 5], np.int64)
    assert grouping._lookup(np.array([3, 4, 5, 7, 0], np.int64), found).tolist() == [1, -1, 2, 0, -1]
    sparse = np.array([10**12, 3], np.int64)  # too wide a range for a table: searched instead
    assert grouping._lookup(np.array([3, 10**12, 10**12 + 1, 2], np.int64), sparse).tolist() == [1, 0, -1, -1]
    assert grouping._lookup(np.array([1], np.int64), np.zeros(0, np.int64)).tolist() == [-1]
