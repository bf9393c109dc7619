"""Read-side lookup of customers by their handle on a site (STYLE.md's queries exception).

A customer's handle on a source lives in the attribute `handle_<source>` (e.g. `handle_twitter: "@ann"`); handles
compare without case and without a leading '@'. The lookup reads that attribute of every customer (no index), one
query per source per batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.customers.models import Customer

_CHUNK = 1000


def handle_attribute(source: str) -> str:
    """The customer attribute holding a handle on `source`: 'app-store' -> 'handle_app_store'."""
    return "handle_" + source.replace("-", "_")


def normalised_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def customers_by_handle(session: Session, source: str, handles: Iterable[str]) -> dict[str, str]:
    """normalised handle -> external id of the oldest customer with that handle on `source`."""
    wanted = sorted({normalised_handle(h) for h in handles} - {""})
    value = func.lower(func.ltrim(func.trim(Customer.attributes[handle_attribute(source)].as_string()), "@"))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(value.label("handle"), Customer.external_id)
            .where(value.in_(wanted[start : start + _CHUNK]))
            .order_by(Customer.id.desc())
        )
        found.update({row.handle: row.external_id for row in rows})
    return found
