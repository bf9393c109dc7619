"""A customer's responses and feedback items on their timeline (cxloop.timeline)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.collection.models import FeedbackItem, Response
from cxloop.storage.timeline import Position, TimelineEntry, read_entries


def _response(row: Response) -> tuple[str, dict[str, Any]]:
    named = (("NPS", row.nps), ("CSAT", row.csat), ("CES", row.ces))
    scores = ", ".join(f"{name} {value}" for name, value in named if value is not None) or "no score"
    partial = " (partial)" if row.is_partial else ""
    return f"answered survey {row.survey_id} on {row.channel}: {scores}{partial}", {
        "response_id": row.id,
        "survey_id": row.survey_id,
    }


def _feedback(row: FeedbackItem) -> tuple[str, dict[str, Any]]:
    rating = f" rated {row.rating}" if row.rating is not None else ""
    text = row.text if len(row.text) <= 120 else row.text[:119] + "…"
    return f"{row.kind} from {row.source}{rating}: {text}", {"feedback_id": row.id}


def response_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Their survey responses, by when they were submitted."""
    query = select(Response).where(Response.customer_id == customer_id)
    at, id_ = Response.submitted_at, Response.id
    return read_entries(session, query, kind="response", at=at, id_=id_, before=before, limit=limit, describe=_response)


def feedback_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Their feedback items (reviews, tickets, widget comments), by when they were posted."""
    query = select(FeedbackItem).where(FeedbackItem.customer_id == customer_id)
    at, id_ = FeedbackItem.posted_at, FeedbackItem.id
    return read_entries(session, query, kind="feedback", at=at, id_=id_, before=before, limit=limit, describe=_feedback)
