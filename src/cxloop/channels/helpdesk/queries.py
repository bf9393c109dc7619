"""Read-side lookups over the customers table for linking helpdesk requesters (STYLE.md's queries exception)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.customers.models import Customer


def external_id_by_email(session: Session, email: str) -> str | None:
    """The external id of the oldest customer with this (lower-cased) email, if any."""
    return session.scalar(select(Customer.external_id).where(Customer.email == email).order_by(Customer.id).limit(1))
