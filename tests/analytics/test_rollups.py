"""Rollups kept on write (record_scores, membership changes) always equal a full recount (rebuild_rollups)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from cxloop.analytics import rollups
from cxloop.analytics import service as analytics
from cxloop.analytics.models import ScoreRollup
from cxloop.analytics.schemas import MetricQuery
from cxloop.collection import hooks as collection_hooks
from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.customers import deletion, membership
from cxloop.customers import service as customers
from cxloop.customers.models import Segment, SegmentMember
from cxloop.customers.schemas import CustomerUpsert, SegmentCreate
from cxloop.storage.database import Database
from tests.factories.responses import (
    Scored,
    add_scored,
    add_segment,
    add_survey,
    random_scored,
    random_world,
    set_members,
    snapshot,
)
from tests.factories.surveys import every_kind_definition, make_survey

ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"]


@pytest.fixture
def zones() -> Iterator[list[str]]:
    previous = rollups.rolled_up_timezones()
    rollups.configure(ZONES)
    yield ZONES
    rollups.configure(previous)


def test_incremental_rollups_equal_a_rebuild_after_batches_and_membership_changes(
    db: Database, zones: list[str]
) -> None:
    with db.unit_of_work() as session:
        world = random_world(session, seed=11)
    rng = random.Random(12)
    enterprise = world.segments["enterprise"]
    stored: list[Scored] = []
    for _ in range(4):
        batch = random_scored(rng, world, 80)
        stored += batch
        with db.unit_of_work() as session:
            add_scored(session, batch)
        with db.unit_of_work() as session:
            members = set(
                session.scalars(select(SegmentMember.customer_id).where(SegmentMember.segment_id == enterprise))
            )
            leaving = rng.sample(sorted(members), 3)
            joining = rng.sample(sorted(set(world.customers) - members), 3)
            set_members(session, enterprise, added=joining, removed=leaving)
    with db.unit_of_work() as session:
        incremental = snapshot(session)
        rollups.rebuild_rollups(session)
    with db.unit_of_work() as session:
        rebuilt = snapshot(session)
    assert incremental == rebuilt
    assert {key[0] for key in rebuilt} == set(ZONES)
    assert {key[2] for key in rebuilt} == set(rollups.DIMENSIONS)
    assert {key[1] for key in rebuilt} == {"nps", "csat", "ces", "rating"}
    assert min(rebuilt.values()) > 0  # rows that drop to zero are deleted
    for zone in ZONES:
        total_nps = sum(n for key, n in rebuilt.items() if key[:3] == (zone, "nps", "all"))
        assert total_nps == sum(1 for item in stored if item.nps is not None)
        ratings = sum(n for key, n in rebuilt.items() if key[:3] == (zone, "rating", "channel"))
        assert ratings == sum(1 for item in stored if item.survey_id is None)


def test_counts_per_dimension_and_local_day(db: Database, zones: list[str]) -> None:
    at = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # 00:30 UTC: 29 March in New York, 30 March in London/Kolkata
    with db.unit_of_work() as session:
        survey = add_survey(session)
        add_scored(session, [Scored(at, survey, None, "web", None, None, nps=9, csat=4), Scored(at, None, csat=2)])
        rows = snapshot(session)
    day_29, day_30 = 20176, 20177  # days since 1970-01-01
    assert rows[("UTC", "nps", "all", "", day_30, 9)] == 1
    assert rows[("America/New_York", "nps", "all", "", day_29, 9)] == 1
    assert rows[("Asia/Kolkata", "nps", "survey", str(survey), day_30, 9)] == 1
    assert rows[("UTC", "csat", "channel", "web", day_30, 4)] == 1
    assert rows[("UTC", "rating", "survey", "", day_30, 2)] == 1  # a feedback item has no survey
    assert rows[("UTC", "nps", "stage", "", day_30, 9)] == 1
    assert ("UTC", "ces", "all", "", day_30, 1) not in rows
    assert not any(key[2] == "segment" for key in rows)  # anonymous: no segment


def test_out_of_scale_scores_are_not_counted(db: Database, zones: list[str]) -> None:
    at = datetime(2025, 6, 1, 12, tzinfo=UTC)
    with db.unit_of_work() as session:
        survey = add_survey(session)
        add_scored(session, [Scored(at, survey, nps=11, csat=0, ces=8), Scored(at, None, csat=6)])
        assert snapshot(session) == {}
        rollups.rebuild_rollups(session)
        assert snapshot(session) == {}


def test_membership_changes_move_segment_rows(db: Database) -> None:
    at = datetime(2025, 6, 1, 12, tzinfo=UTC)
    with db.unit_of_work() as session:
        world = random_world(session, seed=3, customers=6)
        session.execute(delete(SegmentMember))
        session.execute(delete(ScoreRollup))
        first, second = world.customers[:2]
        survey = world.surveys[0]
        add_scored(
            session,
            [Scored(at, survey, first, nps=10), Scored(at, survey, first, nps=0), Scored(at, survey, second, nps=10)],
        )
        vip = add_segment(session, "vip", [first, second])
        segment_rows = {k: n for k, n in snapshot(session).items() if k[2] == "segment" and k[3] == str(vip)}
        assert segment_rows == {
            ("UTC", "nps", "segment", str(vip), 20240, 10): 2,
            ("UTC", "nps", "segment", str(vip), 20240, 0): 1,
        }
        set_members(session, vip, removed=[first])
        segment_rows = {k: n for k, n in snapshot(session).items() if k[2] == "segment" and k[3] == str(vip)}
        assert segment_rows == {("UTC", "nps", "segment", str(vip), 20240, 10): 1}
        # A deleted segment takes its rows with it.
        session.execute(delete(Segment).where(Segment.id == vip))
        rollups.on_membership_change(session, segment_id=vip, added=[], removed=[second])
        assert not any(k[3] == str(vip) for k in snapshot(session) if k[2] == "segment")


def test_retract_scores_undoes_record_scores(db: Database, zones: list[str]) -> None:
    with db.unit_of_work() as session:
        world = random_world(session, seed=5, customers=10)
        items = random_scored(random.Random(6), world, 50)
        add_scored(session, items[:20])
        before = snapshot(session)
        add_scored(session, items[20:])
        rollups.retract_scores(session, items=[i.row() for i in items[20:]])
        assert snapshot(session) == before


def test_configure_refuses_unknown_zones() -> None:
    previous = rollups.rolled_up_timezones()
    with pytest.raises(ValueError, match="Mars/Olympus"):
        rollups.configure(["UTC", "Mars/Olympus"])
    assert rollups.rolled_up_timezones() == previous
    rollups.configure(["Europe/London", "Europe/London", "UTC"])
    assert rollups.rolled_up_timezones() == ("Europe/London", "UTC")
    rollups.configure(previous)


@pytest.fixture
def listening(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh membership and deletion hooks holding only the rollups listeners (the app's may be wired and frozen)."""
    monkeypatch.setattr(membership, "changed", membership.changed.copy())
    membership.changed.register(rollups.on_membership_change)
    monkeypatch.setattr(deletion, "deleting", deletion.deleting.copy())
    deletion.deleting.register(rollups.forget_customers)


@pytest.mark.parametrize("ahead", [True, False], ids=["counted-ahead", "counted-when-stored"])
def test_rollups_stay_exact_through_the_collection_and_customers_services(
    db: Database, zones: list[str], listening: None, ahead: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Responses and feedback stored by their services, customers moving between segments by upsert; batches
    counted while validated (the responses_prepared hook) or, without it, when stored."""
    if not ahead:
        monkeypatch.setattr(collection_hooks, "responses_prepared", collection_hooks.responses_prepared.copy())
    rng = random.Random(31)
    make_survey(db, key="pulse", definition=every_kind_definition())
    plans = ["enterprise", "pro", "free"]
    with db.unit_of_work() as session:
        customers.upsert_customers(
            session,
            items=[
                CustomerUpsert(external_id=f"c{i}", attributes={"plan": rng.choice(plans)}, stage="usage")
                for i in range(30)
            ],
        )
        customers.create_segment(
            session, data=SegmentCreate(key="enterprise", name="Enterprise", filter="plan = enterprise")
        )
    touchpoints = [None, "sign-up", "support-interaction"]
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for batch in range(3):
        with db.unit_of_work() as session:
            collection.record_responses(
                session,
                items=[
                    ResponseCreate(
                        survey="pulse",
                        customer_external_id=rng.choice([f"c{i}" for i in range(33)] + [None]),  # c30+: new
                        touchpoint=rng.choice(touchpoints),
                        channel=rng.choice(["email", "web"]),
                        nps=rng.randint(0, 10),
                        csat=rng.choice([None, 1, 4, 5]),
                        ces=rng.choice([None, 2, 7]),
                        submitted_at=start + timedelta(hours=rng.randint(0, 24 * 300)),
                    )
                    for _ in range(40)
                ],
            )
            collection.record_feedback(
                session,
                items=[
                    FeedbackCreate(
                        kind="review",
                        source="test",
                        external_id=f"f{batch}-{i}",
                        channel="review",
                        text="fine",
                        rating=rng.randint(1, 5),
                        customer_external_id=f"c{i}",
                        posted_at=start + timedelta(hours=rng.randint(0, 24 * 300)),
                    )
                    for i in range(10)
                ],
            )
        with db.unit_of_work() as session:  # plans change: customers join and leave the segment
            customers.upsert_customers(
                session,
                items=[
                    CustomerUpsert(external_id=f"c{i}", attributes={"plan": rng.choice(plans)}) for i in range(0, 30, 3)
                ],
            )
    with db.unit_of_work() as session:
        incremental = snapshot(session)
        queries = [
            MetricQuery(metric="nps", group_by=["month", "segment"]),
            MetricQuery(metric="csat", group_by=["week", "stage"], tz="America/New_York"),
            MetricQuery(metric="ces", group_by=["month"], segment="enterprise"),
        ]
        answers = [analytics.compute_metric(session, query=q) for q in queries]
        rollups.rebuild_rollups(session)
        assert snapshot(session) == incremental
        rollups.configure([])
        raw = [analytics.compute_metric(session, query=q) for q in queries]
    assert [a.path for a in answers] == ["rollup"] * 3
    assert [a.model_dump(exclude={"path"}) for a in answers] == [r.model_dump(exclude={"path"}) for r in raw]
    assert sum(g.n for g in answers[0].groups) > 0
    assert any(key[2] == "segment" for key in incremental)

    rollups.configure(zones)
    with db.unit_of_work() as session:  # deleting customers takes their feedback out of every rollup row
        for external_id in ("c0", "c1", "c2"):
            customers.delete_customer(
                session, customer_id=customers.resolve_customer_ids(session, external_ids=[external_id])[external_id]
            )
        after_delete = snapshot(session)
        rollups.rebuild_rollups(session)
        assert snapshot(session) == after_delete
    assert sum(after_delete.values()) < sum(incremental.values())
