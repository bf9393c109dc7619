"""A customer's invitations on their timeline (cxloop.timeline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.models import Invitation
from cxloop.storage.timeline import Position, TimelineEntry, read_entries

# The answer link of an invitation: whoever holds it answers as the customer (agents and above only).
AnswerLink = Callable[[Invitation], str]


def invitation_entries(
    session: Session,
    *,
    customer_id: int,
    before: Position | None,
    limit: int,
    answer_link: AnswerLink | None = None,
) -> list[TimelineEntry]:
    """Every invitation made to them, sent or suppressed, by when it was made; with its answer `url` only when
    `answer_link` is given (the caller may act as the customer)."""

    def describe(row: Invitation) -> tuple[str, dict[str, Any]]:
        links: dict[str, Any] = {"invitation_id": row.id, "survey_id": row.survey_id}
        if answer_link is not None and row.status != InvitationStatus.suppressed:
            links["url"] = answer_link(row)
        reason = f" ({row.reason})" if row.reason else ""
        return f"invited to survey {row.survey_id} by {row.channel}: {row.status}{reason}", links

    query = select(Invitation).where(Invitation.customer_id == customer_id)
    at, id_ = Invitation.created_at, Invitation.id
    return read_entries(
        session, query, kind="invitation", at=at, id_=id_, before=before, limit=limit, describe=describe
    )
