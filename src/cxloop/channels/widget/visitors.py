"""Who is on the page: `cxloop.identify(id, attributes)` ties the visitor to a customer by external id.

Only `attributes` and `locale` can be set this way. The site key is public, so anyone can call the identify
endpoint: letting it change a customer's email or phone would let a stranger redirect that customer's surveys.
Those come from the management API or imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert

if TYPE_CHECKING:
    from cxloop.customers.models import Customer


def find_customer(session: Session, external_id: str) -> Customer | None:
    return customers.get_customer(session, external_id=external_id)


def ensure_customer(session: Session, external_id: str) -> Customer:
    """The customer with this external id, created bare when new."""
    found = find_customer(session, external_id)
    if found is not None:
        return found
    (customer_id,) = customers.upsert_customers(session, items=[CustomerUpsert(external_id=external_id)])
    return customers.require_customer(session, customer_id=customer_id)


def identify(session: Session, *, external_id: str, attributes: dict[str, Any], locale: str | None) -> int:
    """Create or update the customer (attributes merged, a key sent as null removed); their id."""
    fields: dict[str, Any] = {"external_id": external_id, "attributes": attributes}
    if locale is not None:
        fields["locale"] = locale
    (customer_id,) = customers.upsert_customers(session, items=[CustomerUpsert(**fields)])
    return customer_id
