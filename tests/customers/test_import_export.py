"""Customer and event import and export in the customers domain (customers.service), on both databases: bad rows
are named by line and file column while the good ones are stored, and an export imports again unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxloop.core.errors import InvalidInput
from cxloop.customers import service as customers
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database

HEADER = ["customer_id", "email", "name", "stage", "signup_date", "attr.plan", "attr.seats", "_note"]


def _reasons(result: customers.FileImportResult) -> dict[int, list[str]]:
    return {error.line: [e.field for e in error.errors] for error in result.rejected}


def test_csv_rows_become_customers_and_bad_rows_are_named_by_line_and_column(db: Database) -> None:
    rows = [
        (2, ["c1", "ann@example.com", "Ann", "onboarding", "2024-05-01", "pro", "3", "ignored"]),
        (3, ["c2", "not-an-email", "Bo", "", "", "", "", ""]),
        (4, ["c3", "", "Cy", "nowhere", "", "", "", ""]),
        (5, ["c4", "", "", "", "", "", "", ""]),
    ]
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        result = customers.import_customers(session, rows=rows, header=HEADER)
        assert (result.created, result.updated) == (2, 0)
        assert _reasons(result) == {3: ["email"], 4: ["stage"]}
        ann = customers.require_customer(session, external_id="c1")
        assert (ann.email, ann.name, ann.attributes) == ("ann@example.com", "Ann", {"plan": "pro", "seats": "3"})
    with db.unit_of_work() as session:
        again = customers.import_customers(session, rows=[(2, {"external_id": "c1", "name": "Ann B"})], header=None)
        assert (again.created, again.updated, again.rejected) == (0, 1, [])
        assert customers.require_customer(session, external_id="c1").name == "Ann B"


def test_json_problems_inside_attributes_name_the_csv_column(db: Database) -> None:
    rows = [(7, ["c1", "", "", "", "", "", "", ""]), (8, ["c2", "", "", "", "not a date", "", "", ""])]
    with db.unit_of_work() as session:
        result = customers.import_customers(session, rows=rows, header=HEADER)
        bad = customers.import_customers(session, rows=[(1, {"external_id": "c9", "attributes": {"": 1}})], header=None)
    assert (result.created, _reasons(result)) == (1, {8: ["signup_date"]})
    assert bad.created == 0 and bad.rejected[0].line == 1 and bad.rejected[0].errors[0].field.startswith("attr.")


def test_headers_are_checked_before_any_row(db: Database) -> None:
    customers.check_customer_header(["external_id", "attr.x", "_line"])
    customers.check_event_header(["customer_id", "name", "prop.sku"])
    with pytest.raises(InvalidInput, match="unknown column"):
        customers.check_customer_header(["external_id", "shoe_size"])
    with pytest.raises(InvalidInput, match="missing column: external_id"):
        customers.check_customer_header(["email"])
    with pytest.raises(InvalidInput, match="missing column: name"):
        customers.check_event_header(["customer_id", "prop.sku"])


def test_events_are_stored_once_per_event_id_with_their_properties(db: Database) -> None:
    header = ["customer_id", "name", "occurred_at", "event_id", "prop.sku"]
    rows = [
        (2, ["c1", "order_placed", "2024-05-01T10:00:00Z", "e1", "A-1"]),
        (3, ["c1", "", "2024-05-01T11:00:00Z", "e2", ""]),
    ]
    with db.unit_of_work() as session:
        first = customers.import_events(session, rows=rows, header=header)
        second = customers.import_events(session, rows=rows[:1], header=header)
        stored = customers.list_events(session, customer="c1")
    assert (first.created, first.duplicates, _reasons(first)) == (1, 0, {3: ["name"]})
    assert (second.created, second.duplicates) == (0, 1)
    assert [(e.name, e.source, e.properties) for e in stored.items] == [("order_placed", "import", {"sku": "A-1"})]


def test_an_export_streams_in_batches_and_imports_again_unchanged(db: Database) -> None:
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        rows = [
            (n, [f"c{n}", f"u{n}@example.com", f"User {n}", "onboarding", "2024-05-01", "pro", str(n), ""])
            for n in range(1, 6)
        ]
        customers.import_customers(session, rows=rows, header=HEADER)
    with db.unit_of_work() as session:
        assert customers.count_customers(session) == 5
        assert customers.count_customers(session, since=datetime.now(UTC) + timedelta(hours=1)) == 0
        assert customers.customer_attribute_names(session) == ["plan", "seats"]
        batches = list(customers.iter_customers(session, batch_size=2))
        assert [len(b) for b in batches] == [2, 2, 1]
        exported = [c for batch in batches for c in batch]
        header = [*customers.CUSTOMER_EXPORT_COLUMNS, "attr.plan", "attr.seats"]
        cells = [customers.customer_csv_row(c, ["plan", "seats"]) for c in exported]
        objects = [customers.customer_json(c) for c in exported]
    assert cells[0] == ["c1", "u1@example.com", "", "User 1", "", "", "", "2024-05-01", "onboarding", "pro", "1"]
    assert objects[0]["signup_date"] == "2024-05-01" and objects[0]["attributes"] == {"plan": "pro", "seats": "1"}
    with db.unit_of_work() as session:
        customers.check_customer_header(header)
        from_csv = customers.import_customers(session, rows=list(enumerate(cells, start=2)), header=header)
        from_json = customers.import_customers(session, rows=list(enumerate(objects, start=1)), header=None)
        assert (from_csv.created, from_csv.updated, from_csv.rejected) == (0, 5, [])
        assert (from_json.created, from_json.updated, from_json.rejected) == (0, 5, [])
        assert [c for batch in customers.iter_customers(session) for c in batch] == exported
