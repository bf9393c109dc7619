"""A customer's invitations on their timeline (cxloop.timeline)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.models import Invitation
from cxloop.storage.timeline import Position, TimelineEntry, newest_before

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
    query = select(Invitation).where(Invitation.customer_id == customer_id)
    rows = session.scalars(
        newest_before(query, kind="invitation", at=Invitation.created_at, id_=Invitation.id, before=before, limit=limit)
    )
    entries = []
    for row in rows:
        links: dict[str, object] = {"invitation_id": row.id, "survey_id": row.survey_id}
        if answer_link is not None and row.status != InvitationStatus.suppressed:
            links["url"] = answer_link(row)
        reason = f" ({row.reason})" if row.reason else ""
        entries.append(
            TimelineEntry(
                kind="invitation",
                id=row.id,
                at=row.created_at,
                summary=f"invited to survey {row.survey_id} by {row.channel}: {row.status}{reason}",
                links=links,
            )
        )
    return entries
