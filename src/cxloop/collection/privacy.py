"""What collection holds about one person (their responses and feedback items), for privacy access and erasure
requests, and the retention of responses and feedback text (docs/privacy.md).

Every removal or anonymisation tells the `scores_changed` hook what left (and what stays), so the score rollups stay
exactly what a recount of the remaining rows gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from cxloop.collection import hooks
from cxloop.collection.models import FeedbackItem, Response
from cxloop.collection.rows import ScoredRow, epoch_seconds
from cxloop.collection.service import require_feedback, require_response
from cxloop.storage.text_scrub import scrub_columns

PRIVACY_TABLES = ("responses", "feedback_items")
ANONYMISED = {"anonymised": True}
_CHUNK = 1_000
_RESPONSE_COLUMNS = (
    Response.id,
    Response.submitted_at,
    Response.customer_id,
    Response.survey_id,
    Response.channel,
    Response.touchpoint_id,
    Response.stage_id,
    Response.nps,
    Response.csat,
    Response.ces,
    Response.answers,
)
_FEEDBACK_COLUMNS = (
    FeedbackItem.id,
    FeedbackItem.posted_at,
    FeedbackItem.customer_id,
    FeedbackItem.channel,
    FeedbackItem.touchpoint_id,
    FeedbackItem.stage_id,
    FeedbackItem.rating,
)


def _authored(email: str | None) -> Any:
    """Feedback items not linked to a customer but posted under this email (intake links by email when it can)."""
    if not email:
        return FeedbackItem.id.is_(None)
    return FeedbackItem.customer_id.is_(None) & (func.lower(FeedbackItem.author_email) == email.lower())


def _feedback_of(customer_id: int, email: str | None) -> Any:
    return or_(FeedbackItem.customer_id == customer_id, _authored(email))


def export_customer_data(session: Session, *, customer_id: int, email: str | None) -> dict[str, list[dict[str, Any]]]:
    """Their responses (with answers, comments and metadata) and feedback items, as JSON-ready dicts."""
    response_ids = session.scalars(select(Response.id).where(Response.customer_id == customer_id).order_by(Response.id))
    feedback_ids = session.scalars(
        select(FeedbackItem.id).where(_feedback_of(customer_id, email)).order_by(FeedbackItem.id)
    )
    return {
        "responses": [require_response(session, response_id=i).model_dump(mode="json") for i in response_ids],
        "feedback_items": [require_feedback(session, feedback_id=i).model_dump(mode="json") for i in feedback_ids],
    }


def _response_scores(response: Any, *, linked: bool = True) -> ScoredRow:
    return ScoredRow(
        epoch_seconds(response.submitted_at),
        response.customer_id if linked else None,
        response.survey_id,
        response.channel,
        response.touchpoint_id,
        response.stage_id,
        response.nps,
        response.csat,
        response.ces,
    )


def _feedback_scores(item: Any, *, linked: bool = True) -> ScoredRow:
    return ScoredRow(
        epoch_seconds(item.posted_at),
        item.customer_id if linked else None,
        None,
        item.channel,
        item.touchpoint_id,
        item.stage_id,
        None,
        item.rating,
        None,
    )


def erase_customer_data(session: Session, *, customer_id: int, email: str | None) -> dict[str, int]:
    """Delete the feedback items posted under their email but not linked to them (their ratings leave the rollups);
    how many responses and feedback items of theirs go. Linked rows go with the customer (customers' eraser)."""
    authored = session.execute(select(*_FEEDBACK_COLUMNS).where(_authored(email))).all()
    rated = [_feedback_scores(item) for item in authored if item.rating is not None]
    if rated:
        hooks.scores_changed(session, removed=rated, added=())
    authored_ids = [item.id for item in authored]
    hooks.texts_dropped(session, responses=(), feedback=authored_ids)
    for start in range(0, len(authored_ids), _CHUNK):
        session.execute(delete(FeedbackItem).where(FeedbackItem.id.in_(authored_ids[start : start + _CHUNK])))
    linked = select(func.count()).where(FeedbackItem.customer_id == customer_id)
    responses = select(func.count()).where(Response.customer_id == customer_id)
    return {
        "responses": session.scalar(responses) or 0,
        "feedback_items": len(authored_ids) + (session.scalar(linked) or 0),
    }


def scrub_customer_text(session: Session, *, needles: Sequence[str]) -> int:
    """Replace a person's identifiers in the comments, answers, text and metadata of other people's feedback."""
    return scrub_columns(
        session, cast(Table, Response.__table__), ("comment", "answers", "metadata"), needles=needles
    ) + scrub_columns(
        session,
        cast(Table, FeedbackItem.__table__),
        ("text", "author", "author_email", "url", "metadata"),
        needles=needles,
    )


def _not_anonymised(meta: Any) -> Any:
    flag = meta["anonymised"].as_boolean()
    return or_(flag.is_(None), flag.is_(False))


def _kept_answers(answers: dict[str, Any] | None) -> dict[str, Any]:
    """Scores survive anonymisation; text, choices and everything else goes."""
    return {k: v for k, v in (answers or {}).items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _due(
    session: Session,
    model: type[Response] | type[FeedbackItem],
    at: Any,
    columns: Sequence[Any],
    *,
    before: datetime,
    action: str,
    limit: int | None,
) -> int | Sequence[Any]:
    """The rows older than `before` a policy still has to touch: how many (limit None), or the first `limit`."""
    pending = at < before
    if action == "anonymise":
        pending = pending & _not_anonymised(model.meta)
    if limit is None:
        return session.scalar(select(func.count()).select_from(model).where(pending)) or 0
    return session.execute(select(*columns).where(pending).order_by(model.id).limit(limit)).all()


def response_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:
    """Responses submitted before `before`: deleted, or anonymised (scores, timestamps and placement kept; comment,
    text answers, metadata, locale, idempotency key and customer link dropped). With limit None only counted."""
    rows = _due(session, Response, Response.submitted_at, _RESPONSE_COLUMNS, before=before, action=action, limit=limit)
    if isinstance(rows, int):
        return rows
    if not rows:
        return 0
    before_rows = [_response_scores(r) for r in rows]
    ids = [r.id for r in rows]
    hooks.texts_dropped(session, responses=ids, feedback=())
    if action == "delete":
        hooks.scores_changed(session, removed=before_rows, added=())
        session.execute(delete(Response).where(Response.id.in_(ids)))
        return len(ids)
    # Unlinked from the customer: their segment rows lose these scores, every other rollup keeps them.
    hooks.scores_changed(session, removed=before_rows, added=[_response_scores(r, linked=False) for r in rows])
    table = cast(Table, Response.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(
            answers=bindparam("_answers", type_=table.c.answers.type),
            customer_id=None,
            comment=None,
            metadata=ANONYMISED,
            locale=None,
            idempotency_key=None,
        )
    )
    session.execute(statement, [{"_id": r.id, "_answers": _kept_answers(r.answers)} for r in rows])
    return len(ids)


def feedback_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:
    """Feedback items posted before `before`: deleted, or anonymised (rating, kind, channel, placement and times
    kept; text, author, email, url, metadata and customer link dropped). With limit None only counted."""
    items = _due(
        session, FeedbackItem, FeedbackItem.posted_at, _FEEDBACK_COLUMNS, before=before, action=action, limit=limit
    )
    if isinstance(items, int):
        return items
    if not items:
        return 0
    rated = [item for item in items if item.rating is not None]
    ids = [item.id for item in items]
    hooks.texts_dropped(session, responses=(), feedback=ids)
    if action == "delete":
        if rated:
            hooks.scores_changed(session, removed=[_feedback_scores(i) for i in rated], added=())
        session.execute(delete(FeedbackItem).where(FeedbackItem.id.in_(ids)))
    else:
        if rated:
            hooks.scores_changed(
                session,
                removed=[_feedback_scores(i) for i in rated],
                added=[_feedback_scores(i, linked=False) for i in rated],
            )
        session.execute(
            update(FeedbackItem)
            .where(FeedbackItem.id.in_(ids))
            .values(text="", author=None, author_email=None, url=None, customer_id=None, meta=ANONYMISED)
        )
    return len(ids)
