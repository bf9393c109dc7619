"""The one reader of comment texts, for enrichment and themes alike: response comments and feedback texts (partial
responses included: a comment is read as soon as it is written), with the scores that label them, read straight from
the collection tables (a higher domain's queries module may join lower domains' tables: pyproject.toml contracts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from cxloop.collection.models import FeedbackItem, Response
from cxloop.text.enums import TEXT_FIELD, ItemKind, SentimentLabel
from cxloop.text.models import TextAnalysis

BATCH = 1_000  # ids per IN (...) list


@dataclass(frozen=True)
class Source:
    """An item's text and the scores given with it."""

    kind: ItemKind
    id: int
    text: str
    nps: int | None = None
    csat: int | None = None
    rating: int | None = None


def _select(kind: ItemKind) -> Any:
    if kind == ItemKind.response:
        return (
            select(Response.id, Response.comment, Response.nps, Response.csat)
            .where(Response.comment.is_not(None), Response.comment != "")
            .order_by(Response.id)
        ), Response
    return (
        select(FeedbackItem.id, FeedbackItem.text, FeedbackItem.rating)
        .where(FeedbackItem.text != "")
        .order_by(FeedbackItem.id)
    ), FeedbackItem


def _sources(kind: ItemKind, rows: Sequence[Any]) -> list[Source]:
    if kind == ItemKind.response:
        return [Source(kind, r[0], r[1], nps=r[2], csat=r[3]) for r in rows]
    return [Source(kind, r[0], r[1], rating=r[2]) for r in rows]


def _analysed(kind: ItemKind, model: Any) -> Any:
    return exists().where(
        TextAnalysis.item_kind == kind.value,
        TextAnalysis.item_id == model.id,
        TextAnalysis.field == TEXT_FIELD[kind],
    )


def sources_of(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> list[Source]:
    """The items among `ids` that have text, in id order."""
    query, model = _select(kind)
    ordered = sorted(set(ids))
    found: list[Source] = []
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start : start + BATCH]
        found.extend(_sources(kind, session.execute(query.where(model.id.in_(chunk))).all()))
    return found


def analysed_ids(session: Session, *, kind: ItemKind, ids: Sequence[int]) -> set[int]:
    """The items among `ids` whose text has an analysis."""
    found: set[int] = set()
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), BATCH):
        found.update(
            session.scalars(
                select(TextAnalysis.item_id).where(
                    TextAnalysis.item_kind == kind.value,
                    TextAnalysis.field == TEXT_FIELD[kind],
                    TextAnalysis.item_id.in_(ordered[start : start + BATCH]),
                )
            )
        )
    return found


def latest_sources(session: Session, *, limit: int) -> list[Source]:
    """The newest `limit` response comments and `limit` feedback texts at most, newest first within each kind."""
    found: list[Source] = []
    for kind in ItemKind:
        query, model = _select(kind)
        found.extend(_sources(kind, session.execute(query.order_by(None).order_by(model.id.desc()).limit(limit)).all()))
    return found


def _between(kind: ItemKind, above: int, below: int) -> Any:
    query, model = _select(kind)
    return query.where(model.id > above, model.id < below).order_by(None), model


def sources_between(session: Session, *, kind: ItemKind, above: int, below: int, limit: int) -> list[Source]:
    """The newest `limit` items with text whose id lies strictly between `above` and `below`, newest first."""
    query, model = _between(kind, above, below)
    return _sources(kind, session.execute(query.order_by(model.id.desc()).limit(limit)).all())


def count_between(session: Session, *, kind: ItemKind, above: int, below: int) -> int:
    query, _ = _between(kind, above, below)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def highest_id(session: Session, *, kind: ItemKind) -> int:
    """The highest id of the items of `kind` (0 when there is none)."""
    _, model = _select(kind)
    return int(session.scalar(select(func.max(model.id))) or 0)


def next_sources(session: Session, *, kind: ItemKind, after_id: int, limit: int, pending_only: bool) -> list[Source]:
    """The next `limit` items with text after `after_id` (only those not analysed yet when `pending_only`)."""
    query, model = _select(kind)
    query = query.where(model.id > after_id)
    if pending_only:
        query = query.where(~_analysed(kind, model))
    return _sources(kind, session.execute(query.limit(limit)).all())


def count_sources(session: Session, *, kind: ItemKind, pending_only: bool) -> int:
    query, model = _select(kind)
    if pending_only:
        query = query.where(~_analysed(kind, model))
    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def labelled(session: Session, *, limit: int) -> list[Source]:
    """The newest `limit` analysed items that came with a score (their masked text, as the model sees it)."""
    response = (
        select(TextAnalysis.item_id, TextAnalysis.masked_text, Response.nps, Response.csat, Response.submitted_at)
        .join(Response, and_(TextAnalysis.item_kind == ItemKind.response.value, TextAnalysis.item_id == Response.id))
        .where((Response.nps.is_not(None)) | (Response.csat.is_not(None)))
        .order_by(Response.submitted_at.desc())
        .limit(limit)
    )
    feedback = (
        select(TextAnalysis.item_id, TextAnalysis.masked_text, FeedbackItem.rating, FeedbackItem.posted_at)
        .join(
            FeedbackItem,
            and_(TextAnalysis.item_kind == ItemKind.feedback.value, TextAnalysis.item_id == FeedbackItem.id),
        )
        .where(FeedbackItem.rating.is_not(None))
        .order_by(FeedbackItem.posted_at.desc())
        .limit(limit)
    )
    rows = [(r[4], Source(ItemKind.response, r[0], r[1], nps=r[2], csat=r[3])) for r in session.execute(response)]
    rows += [(r[3], Source(ItemKind.feedback, r[0], r[1], rating=r[2])) for r in session.execute(feedback)]
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return [source for _, source in rows[:limit]]


def count_labelled(session: Session) -> int:
    responses = (
        select(func.count())
        .select_from(TextAnalysis)
        .join(Response, and_(TextAnalysis.item_kind == ItemKind.response.value, TextAnalysis.item_id == Response.id))
        .where((Response.nps.is_not(None)) | (Response.csat.is_not(None)))
    )
    feedback = (
        select(func.count())
        .select_from(TextAnalysis)
        .join(
            FeedbackItem,
            and_(TextAnalysis.item_kind == ItemKind.feedback.value, TextAnalysis.item_id == FeedbackItem.id),
        )
        .where(FeedbackItem.rating.is_not(None))
    )
    return int(session.scalar(responses) or 0) + int(session.scalar(feedback) or 0)


def customer_item_ids(session: Session, *, customer_id: int) -> dict[ItemKind, list[int]]:
    """The ids of one customer's responses and feedback items (for their privacy export and erasure)."""
    return {
        ItemKind.response: list(session.scalars(select(Response.id).where(Response.customer_id == customer_id))),
        ItemKind.feedback: list(
            session.scalars(select(FeedbackItem.id).where(FeedbackItem.customer_id == customer_id))
        ),
    }


def comment_sentiment_by_customer(session: Session, *, before: datetime) -> dict[int, tuple[int, int]]:
    """Per customer: (negative, analysed) counts of their analysed response comments submitted before `before`."""
    negative = func.sum(case((TextAnalysis.sentiment_label == SentimentLabel.negative.value, 1), else_=0))
    rows = session.execute(
        select(Response.customer_id, negative, func.count())
        .join(
            TextAnalysis,
            and_(
                TextAnalysis.item_kind == ItemKind.response.value,
                TextAnalysis.item_id == Response.id,
                TextAnalysis.field == TEXT_FIELD[ItemKind.response],
            ),
        )
        .where(Response.customer_id.is_not(None), Response.submitted_at < before)
        .group_by(Response.customer_id)
    )
    return {int(c): (int(neg or 0), int(n)) for c, neg, n in rows}
