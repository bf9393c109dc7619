"""upsert_customers: set-based semantics that the API relies on."""

from __future__ import annotations

import pytest

from cxloop.core.errors import InvalidInput
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.factories.customers import customer_data, make_account


def test_ids_come_back_in_input_order_and_repeats_merge(db: Database) -> None:
    with db.unit_of_work() as session:
        existing = customers.upsert_customers(session, items=[customer_data(external_id="b")])
        ids = customers.upsert_customers(
            session,
            items=[
                customer_data(external_id="a", name="first", attributes={"x": 1}),
                customer_data(external_id="b"),
                customer_data(external_id="a", email="a@x.com", attributes={"y": 2}),
            ],
        )
        assert ids[1] == existing[0] and ids[0] == ids[2]
        a = customers.require_customer(session, external_id="a")
        assert (a.name, a.email, a.attributes) == ("first", "a@x.com", {"x": 1, "y": 2})


def test_many_rows_in_one_call(db: Database) -> None:
    with db.unit_of_work() as session:
        make_account(session, external_id="acme")
        items = [customer_data(external_id=f"u{i}", account_external_id="acme", stage="usage") for i in range(2500)]
        ids = customers.upsert_customers(session, items=items)
        assert len(set(ids)) == 2500
        again = customers.upsert_customers(
            session, items=[customer_data(external_id=f"u{i}", name=str(i)) for i in range(2500)]
        )
        assert again == ids
        assert customers.resolve_customer_ids(session, external_ids=["u7", "nope"]) == {"u7": ids[7]}
        assert customers.require_customer(session, external_id="u2499").name == "2499"


def test_a_bad_item_stores_nothing(db: Database) -> None:
    with pytest.raises(InvalidInput) as caught, db.unit_of_work() as session:
        customers.upsert_customers(session, items=[customer_data(external_id="ok"), customer_data(stage="void")])
    assert [e.field for e in caught.value.errors] == ["items.1.stage"]
    with db.unit_of_work() as session:
        assert customers.get_customer(session, external_id="ok") is None


def test_unset_fields_keep_their_values_and_null_clears(db: Database) -> None:
    with db.unit_of_work() as session:
        make_account(session, external_id="acme")
        customers.upsert_customers(
            session, items=[customer_data(external_id="a", phone="+44 20 7946 0000", account_external_id="acme")]
        )
        customers.upsert_customers(session, items=[customer_data(external_id="a", account_external_id=None)])
        customer = customers.require_customer(session, external_id="a")
        assert customer.phone == "+442079460000" and customer.account_id is None


def test_display_names_fall_back_from_the_name_to_the_email_to_the_external_id(db: Database) -> None:
    with db.unit_of_work() as session:
        named, mailed, bare = customers.upsert_customers(
            session,
            items=[
                customer_data(external_id="n-1", name="Ada", email="ada@example.com"),
                customer_data(external_id="n-2", name=None, email="bob@example.com"),
                customer_data(external_id="n-3", name=None, email=None),
            ],
        )
        assert customers.display_names(session, customer_ids=[bare, named, mailed, named, 999_999]) == {
            named: "Ada",
            mailed: "bob@example.com",
            bare: "n-3",
        }
        assert customers.display_names(session, customer_ids=[]) == {}
