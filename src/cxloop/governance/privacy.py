"""What governance holds about one person (consent per channel and the consent ledger), for privacy access and
erasure requests (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from cxloop.governance import consent
from cxloop.governance.models import Consent, ConsentChange
from cxloop.governance.schemas import ConsentChangeRead
from cxloop.storage.text_scrub import scrub_columns

PRIVACY_TABLES = ("consents", "consent_changes")


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Their stored consent per purpose and channel and every change in the ledger."""
    states = consent.states_of(session, [customer_id]).get(customer_id, {})
    return {
        "consents": [
            {"purpose": purpose, "channel": channel, "granted": granted}
            for (purpose, channel), granted in sorted(states.items())
        ],
        "consent_ledger": [
            ConsentChangeRead.model_validate(change).model_dump(mode="json")
            for change in consent.history(session, customer_id=customer_id)
        ],
    }


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete their consent states and ledger; counts per kind."""
    counts = {}
    for name, model in (("consents", Consent), ("consent_ledger", ConsentChange)):
        where = model.customer_id == customer_id
        counts[name] = session.scalar(select(func.count()).select_from(model).where(where)) or 0
        session.execute(delete(model).where(where))
    return counts


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace a person's identifiers in the notes and actors of other customers' consent changes."""
    return scrub_columns(session, cast(Table, ConsentChange.__table__), ("actor", "note"), needles=needles)
