"""Two transactions creating the same new customer at once both succeed (first responses arriving together)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.customers.schemas import CustomerUpsert
from cxloop.storage.database import Database


def test_concurrent_upserts_of_one_new_customer_both_succeed(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: the second transaction waits for the first's lock")
    first_inserted = threading.Event()
    results: dict[str, list[int]] = {}
    failures: list[BaseException] = []

    def first() -> None:
        try:
            with db.unit_of_work() as session:
                results["first"] = customers.upsert_customers(session, items=[CustomerUpsert(external_id="new-1")])
                first_inserted.set()
                # Hold the uncommitted row while the second transaction inserts the same external id.
                session.execute(select(func.pg_sleep(0.5)))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
            first_inserted.set()

    def second() -> None:
        first_inserted.wait(5)
        try:
            with db.unit_of_work() as session:
                items = [CustomerUpsert(external_id="new-1", name="Ada"), CustomerUpsert(external_id="new-2")]
                results["second"] = customers.upsert_customers(session, items=items)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert failures == []
    assert results["first"][0] == results["second"][0]
    with db.unit_of_work() as session:
        stored = session.execute(select(Customer.external_id, Customer.name).order_by(Customer.external_id)).all()
    # The second transaction found the customer created meanwhile and applied its own fields to it.
    assert [tuple(row) for row in stored] == [("new-1", "Ada"), ("new-2", None)]
