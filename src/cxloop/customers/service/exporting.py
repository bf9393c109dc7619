"""Customers out to files, in the import format (CSV with `attr.<name>` columns, or JSON Lines of CustomerUpsert
objects), streamed in batches: an export imports again. Used by `cxloop export customers`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.core.csv_cells import csv_cell
from cxloop.customers import queries

CUSTOMER_EXPORT_COLUMNS = [
    "external_id",
    "email",
    "phone",
    "name",
    "locale",
    "timezone",
    "account_external_id",
    "signup_date",
    "stage",
]


def count_customers(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> int:
    """How many customers were updated in [since, until)."""
    return queries.count_updated(session, since=since, until=until)


def customer_attribute_names(session: Session) -> list[str]:
    """Every customer attribute name in use (the `attr.<name>` columns of a customers export)."""
    return queries.attribute_names(session)


def iter_customers(
    session: Session, *, since: datetime | None = None, until: datetime | None = None, batch_size: int = 5000
) -> Iterator[list[Mapping[str, Any]]]:
    """Every customer (updated in [since, until)) as CustomerUpsert-shaped dicts, in batches (for exports)."""
    for batch in queries.iter_customer_rows(session, since=since, until=until, batch_size=batch_size):
        yield [
            {
                "external_id": c.external_id,
                "email": c.email,
                "phone": c.phone,
                "name": c.name,
                "locale": c.locale,
                "timezone": c.timezone,
                "attributes": c.attributes,
                "account_external_id": account_key,
                "signup_date": c.signup_date,
                "stage": stage_key,
            }
            for c, account_key, stage_key in batch
        ]


def customer_csv_row(customer: Mapping[str, Any], attributes: Sequence[str]) -> list[str]:
    """One exported customer as CSV cells: CUSTOMER_EXPORT_COLUMNS, then an `attr.<name>` cell per attribute."""
    return [csv_cell(customer[name]) for name in CUSTOMER_EXPORT_COLUMNS] + [
        csv_cell(customer["attributes"].get(a)) for a in attributes
    ]


def customer_json(customer: Mapping[str, Any]) -> dict[str, Any]:
    """One exported customer as a JSON-ready CustomerUpsert object."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in customer.items()}
