"""A customer's responses and feedback items on their timeline (cxloop.timeline)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.collection.models import FeedbackItem, Response
from cxloop.storage.timeline import Position, TimelineEntry, newest_before


def _scores(response: Response) -> str:
    named = (("NPS", response.nps), ("CSAT", response.csat), ("CES", response.ces))
    return ", ".join(f"{name} {value}" for name, value in named if value is not None) or "no score"


def response_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Their survey responses, by when they were submitted."""
    query = select(Response).where(Response.customer_id == customer_id)
    rows = session.scalars(
        newest_before(query, kind="response", at=Response.submitted_at, id_=Response.id, before=before, limit=limit)
    )
    return [
        TimelineEntry(
            kind="response",
            id=row.id,
            at=row.submitted_at,
            summary=f"answered survey {row.survey_id} on {row.channel}: {_scores(row)}"
            + (" (partial)" if row.is_partial else ""),
            links={"response_id": row.id, "survey_id": row.survey_id},
        )
        for row in rows
    ]


def feedback_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Their feedback items (reviews, tickets, widget comments), by when they were posted."""
    query = select(FeedbackItem).where(FeedbackItem.customer_id == customer_id)
    rows = session.scalars(
        newest_before(
            query, kind="feedback", at=FeedbackItem.posted_at, id_=FeedbackItem.id, before=before, limit=limit
        )
    )
    return [
        TimelineEntry(
            kind="feedback",
            id=row.id,
            at=row.posted_at,
            summary=f"{row.kind} from {row.source}"
            + (f" rated {row.rating}" if row.rating is not None else "")
            + f": {_clip(row.text)}",
            links={"feedback_id": row.id},
        )
        for row in rows
    ]


def _clip(text: str, length: int = 120) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
