"""lock_customers: the customers the contact policy decides about, locked for the transaction (both databases)."""

from __future__ import annotations

from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.factories.customers import make_customer


def test_known_customers_come_back_by_id_and_unknown_ids_are_left_out(db: Database) -> None:
    with db.unit_of_work() as session:
        ann, bo = make_customer(session, email="ann@example.com").id, make_customer(session).id
    with db.unit_of_work(write=True) as session:
        found = customers.lock_customers(session, customer_ids=[bo, ann, bo, 999_999])
        assert sorted(found) == sorted([ann, bo])
        assert found[ann].email == "ann@example.com"
        assert customers.lock_customers(session, customer_ids=[]) == {}
