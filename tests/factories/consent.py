from __future__ import annotations

from sqlalchemy.orm import Session

from cxloop.governance import consent
from cxloop.governance.enums import ConsentSource


def record_consent(
    session: Session, customer_id: int, *, channel: str, granted: bool, purpose: str = "*", actor: str = "test"
) -> None:
    """What a customer said about a channel (for a purpose; '*' every purpose), recorded as an agent would by API."""
    consent.record_change(
        session,
        customer_id=customer_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=ConsentSource.api,
        actor=actor,
    )
