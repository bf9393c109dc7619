"""Concurrent acknowledgements of one case, and the same feedback processed twice at once, on both databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.errors import TransitionRefused
from cxloop.cases.models import Case, CaseTrigger
from cxloop.cases.schemas import Actor, RoutingRuleIn
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_customer


@pytest.fixture
def customer_id(db: Database) -> int:
    with db.unit_of_work() as session:
        team = make_team(session, members=[make_user(session), make_user(session)])
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        return make_customer(session).id


def _both(first: Callable[[], object], second: Callable[[], object]) -> list[object]:
    """Run both at once; each result or the exception it raised."""

    def outcome(fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the exception is the outcome under test
            return exc

    with ThreadPoolExecutor(2) as pool:
        return [f.result() for f in [pool.submit(outcome, first), pool.submit(outcome, second)]]


def test_two_acknowledgements_at_once_one_wins_the_other_gets_409(db: Database, customer_id: int) -> None:
    with db.unit_of_work() as session:
        case_id = open_case(session, customer_id, 1)[0].id
    start = threading.Barrier(2)

    def acknowledge(name: str) -> str:
        start.wait()
        with db.unit_of_work(write=True) as session:  # as the API does for a POST
            cases.transition(session, case_id=case_id, action=CaseAction.acknowledge, actor=Actor(name))
        return name

    results = _both(lambda: acknowledge("ann"), lambda: acknowledge("bob"))
    wins = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(wins) == 1 and len(refused) == 1, results
    with db.unit_of_work() as session:
        detail = cases.case_detail(session, cases.require_case(session, case_id=case_id))
    assert [a.actor for a in detail.activity if a.kind == "status"] == wins


def test_an_acknowledgement_that_read_the_old_status_is_refused(db: Database, customer_id: int) -> None:
    """PostgreSQL lets both transactions read 'new'; the conditional UPDATE of the later one then changes nothing."""
    if db.is_sqlite:
        pytest.skip("SQLite writers hold the write lock from the start: the second one reads the new status")
    with db.unit_of_work() as session:
        case_id = open_case(session, customer_id, 1)[0].id
    first_updated, second_read = threading.Event(), threading.Event()

    def first() -> str:
        with db.unit_of_work() as session:
            cases.transition(session, case_id=case_id, action=CaseAction.acknowledge, actor=Actor("ann"))
            first_updated.set()
            second_read.wait(5)
            time.sleep(0.3)  # the second is now waiting on the row lock
        return "ann"

    def second() -> str:
        first_updated.wait(5)
        with db.unit_of_work() as session:
            case = cases.require_case(session, case_id=case_id)
            assert case.status == "new"  # the first has not committed
            second_read.set()
            cases.transition(session, case_id=case_id, action=CaseAction.acknowledge, actor=Actor("bob"))
        return "bob"

    results = _both(first, second)
    assert results[0] == "ann"
    assert isinstance(results[1], TransitionRefused) and "changed meanwhile" in str(results[1])


def test_the_same_feedback_processed_twice_at_once_makes_one_case(db: Database, customer_id: int) -> None:
    start = threading.Barrier(2)

    def process() -> tuple[int, bool]:
        start.wait()
        with db.unit_of_work(write=True) as session:
            case, created = open_case(session, customer_id, 77)
            return case.id, created

    results = _both(process, process)
    assert not [r for r in results if isinstance(r, Exception)], results
    ids = {r[0] for r in results}  # type: ignore[index]
    assert len(ids) == 1 and sorted(r[1] for r in results) == [False, True]  # type: ignore[index]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(CaseTrigger)) == 1


def test_two_feedback_items_of_one_customer_racing_share_one_case(db: Database, customer_id: int) -> None:
    """Forced overlap (PostgreSQL): the second insert waits on the first's unique key, fails, and joins its case."""
    if db.is_sqlite:
        pytest.skip("SQLite writers are serialised by the write lock")
    inserted = threading.Event()

    def first() -> int:
        with db.unit_of_work() as session:
            case, _ = open_case(session, customer_id, 1)
            inserted.set()
            time.sleep(0.5)
            return case.id

    def second() -> int:
        inserted.wait(5)
        with db.unit_of_work() as session:
            case, created = open_case(session, customer_id, 2)
            assert not created
            return case.id

    results = _both(first, second)
    assert results[0] == results[1], results
    with db.unit_of_work() as session:
        triggers = session.scalars(select(CaseTrigger.source_id).order_by(CaseTrigger.source_id)).all()
        assert session.scalar(select(func.count()).select_from(Case)) == 1 and list(triggers) == [1, 2]
