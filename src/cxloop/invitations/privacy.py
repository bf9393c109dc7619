"""What invitations holds about one person (every invitation sent or suppressed), for privacy access and erasure
requests, and the retention of invitations (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from cxloop.invitations import service as invitations
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.models import Invitation
from cxloop.invitations.schemas import InvitationRead
from cxloop.storage.text_scrub import scrub_columns

PRIVACY_TABLES = ("invitations",)


def export_customer_data(session: Session, *, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Their invitations (survey, channel, status, times), as JSON-ready dicts."""
    rows = session.scalars(select(Invitation).where(Invitation.customer_id == customer_id).order_by(Invitation.id))
    return {"invitations": [InvitationRead.model_validate(row).model_dump(mode="json") for row in rows]}


def erase_customer_data(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete their invitations; the count."""
    return {"invitations": invitations.delete_invitations(session, Invitation.customer_id == customer_id)}


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace a person's identifiers in what channels reported about other invitations (`detail`)."""
    return scrub_columns(session, cast(Table, Invitation.__table__), ("detail",), needles=needles)


def invitation_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:  # noqa: ARG001
    """Invitations created before `before` and no longer waiting to be sent: deleted (the only action). With limit
    None only counted."""
    pending = (Invitation.created_at < before) & (Invitation.status != InvitationStatus.scheduled.value)
    if limit is None:
        return session.scalar(select(func.count()).select_from(Invitation).where(pending)) or 0
    ids = session.scalars(select(Invitation.id).where(pending).order_by(Invitation.id).limit(limit)).all()
    return invitations.delete_invitations(session, Invitation.id.in_(ids)) if ids else 0
