"""Materialised membership: recomputed on segment changes, customer writes, events and refresh; listeners hear it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.customers import membership
from cxloop.customers import service as customers
from cxloop.customers.models import SegmentMember
from cxloop.customers.schemas import AccountUpdate, CustomerUpdate, EventCreate, SegmentUpdate
from cxloop.storage.database import Database
from tests.customers.conftest import Recorder
from tests.factories.customers import customer_data, make_account, make_customer, make_segment


def _members(session: Session, segment_id: int) -> set[int]:
    return set(session.scalars(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)))


def test_creating_a_segment_materialises_members_and_tells_listeners(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        ada = make_customer(session, attributes={"plan": "enterprise"})
        make_customer(session, attributes={"plan": "free"})
        segment = make_segment(session, "plan = enterprise")
        segment_id = segment.id
        assert segment.refreshed_at is not None
    with db.unit_of_work() as session:
        assert _members(session, segment_id) == {ada.id}
    assert recorder.for_segment(segment_id) == [([ada.id], [])]
    assert all(recorder.in_transaction)


def test_customer_upserts_move_customers_in_and_out(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        segment_id = make_segment(session, "company_size >= 200").id
        a, b = customers.upsert_customers(
            session,
            items=[customer_data(external_id="a", attributes={"company_size": 250}), customer_data(external_id="b")],
        )
        customers.upsert_customers(
            session,
            items=[
                customer_data(external_id="a", attributes={"company_size": 20}),
                customer_data(external_id="b", attributes={"company_size": 900}),
            ],
        )
        assert _members(session, segment_id) == {b}
    assert recorder.for_segment(segment_id) == [([a], []), ([b], [a])]


def test_patch_and_delete_update_membership(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        segment_id = make_segment(session, "name is not null").id
        customer = make_customer(session)
        customers.update_customer(session, customer_id=customer.id, data=CustomerUpdate(name="Ada"))
        assert _members(session, segment_id) == {customer.id}
        customers.delete_customer(session, customer_id=customer.id)
        assert _members(session, segment_id) == set()
    assert recorder.for_segment(segment_id) == [([customer.id], []), ([], [customer.id])]


def test_events_refresh_behavioural_segments(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        segment_id = make_segment(session, "event(ticket_solved, 30 days) >= 2").id
        plain_id = make_segment(session, "plan = x").id
        customer = make_customer(session, external_id="u1")
        event = {"customer_external_id": "u1", "name": "ticket_solved"}
        customers.record_events(session, items=[EventCreate(**event)])
        assert _members(session, segment_id) == set()
        customers.record_events(session, items=[EventCreate(**event)])
        assert _members(session, segment_id) == {customer.id}
    assert recorder.for_segment(segment_id) == [([customer.id], [])]
    assert recorder.for_segment(plain_id) == []


def test_changing_a_filter_diffs_the_old_members(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        ids = customers.upsert_customers(session, items=[customer_data(attributes={"n": n}) for n in range(5)])
        segment = make_segment(session, "n < 3")
        customers.update_segment(session, segment_id=segment.id, data=SegmentUpdate(filter="n >= 2"))
        assert _members(session, segment.id) == set(ids[2:])
        customers.update_segment(session, segment_id=segment.id, data=SegmentUpdate(name="Renamed"))
    # Listeners get ids in ascending order; upsert ids follow the input order, which need not ascend.
    assert recorder.for_segment(segment.id) == [(sorted(ids[:3]), []), (sorted(ids[3:]), sorted(ids[:2]))]


def test_account_changes_refresh_account_segments(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        account_id = make_account(session, external_id="acme", plan="starter")
        customer_id = make_customer(session, account_external_id="acme").id
        segment_id = make_segment(session, "account.plan = enterprise").id
        customers.update_account(session, account_id=account_id, data=AccountUpdate(plan="enterprise"))
        assert _members(session, segment_id) == {customer_id}
        customers.delete_account(session, account_id=account_id)
        assert _members(session, segment_id) == set()
        assert customers.require_customer(session, customer_id=customer_id).account_id is None
    assert recorder.for_segment(segment_id) == [([customer_id], []), ([], [customer_id])]


def test_refresh_all_segments_catches_time_drift(db: Database, recorder: Recorder) -> None:
    today = utcnow().date()
    with db.unit_of_work() as session:
        customer = make_customer(session, signup_date=today - timedelta(days=89))
        segment_id = make_segment(session, "tenure >= 90 days").id
        assert _members(session, segment_id) == set()
        changes = customers.refresh_all_segments(session, now=utcnow() + timedelta(days=2))
        assert [(c.segment_id, c.added, c.removed) for c in changes] == [(segment_id, [customer.id], [])]
        assert _members(session, segment_id) == {customer.id}
        assert customers.refresh_all_segments(session, now=utcnow() + timedelta(days=2))[0].changed is False
    assert recorder.for_segment(segment_id) == [([customer.id], [])]


def test_deleting_a_segment_tells_listeners_everyone_left(db: Database, recorder: Recorder) -> None:
    with db.unit_of_work() as session:
        ids = customers.upsert_customers(session, items=[customer_data(), customer_data()])
        segment_id = make_segment(session, "external_id is not null").id
        customers.delete_segment(session, segment_id=segment_id)
    assert recorder.for_segment(segment_id) == [(sorted(ids), []), ([], sorted(ids))]


def test_customer_segment_ids_lists_every_customer_asked_for(db: Database) -> None:
    with db.unit_of_work() as session:
        a = make_customer(session, attributes={"plan": "x"})
        b = make_customer(session)
        first = make_segment(session, "plan = x").id
        second = make_segment(session, "external_id is not null").id
        assert customers.customer_segment_ids(session, customer_ids=[a.id, b.id, 999]) == {
            a.id: [first, second],
            b.id: [second],
            999: [],
        }


def test_a_listener_error_rolls_the_whole_change_back(db: Database, recorder: Recorder) -> None:
    def broken(session: Session, *, segment_id: int, added: Sequence[int], removed: Sequence[int]) -> None:
        raise RuntimeError("listener failed")

    membership.changed.register(broken)
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        make_customer(session, external_id="doomed")
        make_segment(session, "external_id = doomed", key="doomed")
    assert len(recorder.calls) == 1  # heard inside the transaction that was then rolled back
    with db.unit_of_work() as session:
        assert customers.get_segment(session, key="doomed") is None
        assert customers.get_customer(session, external_id="doomed") is None


def test_the_hook_validates_and_freezes() -> None:
    registry = membership.changed.copy()

    def listener(session: Session, *, segment_id: int, added: Sequence[int], removed: Sequence[int]) -> None:
        return None

    def wrong(session: Session, segment: int) -> None:
        return None

    with pytest.raises(TypeError, match="must be callable"):
        registry.register("not a function")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must accept"):
        registry.register(wrong)  # type: ignore[arg-type]
    assert registry.register(listener) is listener
    with pytest.raises(ValueError, match="already"):
        registry.register(listener)
    registry.freeze()
    assert registry.frozen and len(registry) == 1
    with pytest.raises(RuntimeError, match="frozen"):
        registry.register(lambda session, **kw: None)
    with pytest.raises(RuntimeError, match="frozen"):
        registry.unregister(listener)
