"""A customer's responses and feedback items on their timeline (cxloop.timeline)."""

from __future__ import annotations

from collections.abc import Callable
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


Shown = Callable[
    [str, str | None, str | None], str
]  # (text, author, author's email) -> the text as the caller reads it


def _feedback(row: FeedbackItem, shown: Shown) -> tuple[str, dict[str, Any]]:
    rating = f" rated {row.rating}" if row.rating is not None else ""
    text = shown(row.text, row.author, row.author_email)  # masked (if the caller may not) before it is cut
    text = text if len(text) <= 120 else text[:119] + "…"
    return f"{row.kind} from {row.source}{rating}: {text}", {"feedback_id": row.id}


def response_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Their survey responses, by when they were submitted."""
    query = select(Response).where(Response.customer_id == customer_id)
    at, id_ = Response.submitted_at, Response.id
    return read_entries(session, query, kind="response", at=at, id_=id_, before=before, limit=limit, describe=_response)


def feedback_entries(
    session: Session,
    *,
    customer_id: int,
    before: Position | None,
    limit: int,
    shown: Shown = lambda text, _author, _email: text,
) -> list[TimelineEntry]:
    """Their feedback items (reviews, tickets, widget comments), by when they were posted; `shown` gives each text as
    the caller may read it (its author's name and email are named, to be masked with it)."""
    query = select(FeedbackItem).where(FeedbackItem.customer_id == customer_id)
    at, id_ = FeedbackItem.posted_at, FeedbackItem.id
    return read_entries(
        session,
        query,
        kind="feedback",
        at=at,
        id_=id_,
        before=before,
        limit=limit,
        describe=lambda row: _feedback(row, shown),
    )
