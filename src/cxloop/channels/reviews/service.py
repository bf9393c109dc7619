"""Reviews and social posts into feedback items: validate, link authors to customers, store once per source id.

Linking, first match wins: the item's `customer_external_id` (an unknown one becomes a bare customer, as for any
feedback); else the customer whose `handle_<source>` attribute is the author's handle; else the known customer
with the author's email. Reviews never create customers from a handle or an email: they are public, and anyone can
type any name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from cxloop.channels.reviews import queries
from cxloop.channels.reviews.schemas import ReviewCreate, ReviewKind
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.collection.schemas import FeedbackCreate, RecordResult
from cxloop.core.errors import FieldError, InvalidInput, RowError

_REVIEW = TypeAdapter(ReviewCreate)
COLUMNS = tuple(name for name in ReviewCreate.model_fields if name != "metadata")


def _checked(payload: object) -> ReviewCreate | list[FieldError]:
    try:
        return _REVIEW.validate_python(payload)
    except ValidationError as exc:
        return [FieldError(".".join(str(p) for p in e["loc"]) or "item", e["msg"]) for e in exc.errors()]


def submit_reviews(session: Session, *, payloads: Sequence[object]) -> RecordResult:
    """Validate and store review/social items, all or nothing (InvalidInput names `items.<i>.<field>`)."""
    checked = [_checked(p) for p in payloads]
    errors = [
        FieldError(f"items.{i}.{e.field}", e.message)
        for i, item in enumerate(checked)
        if isinstance(item, list)
        for e in item
    ]
    if errors:
        bad = sum(isinstance(item, list) for item in checked)
        raise InvalidInput(f"{bad} of {len(checked)} items are not valid; nothing was stored", errors=errors)
    reviews = [item for item in checked if isinstance(item, ReviewCreate)]
    return collection.record_feedback(session, items=as_feedback(session, reviews))


def as_feedback(session: Session, reviews: Sequence[ReviewCreate]) -> list[FeedbackCreate]:
    """The feedback items to store, in input order, each linked to a customer by handle when one is known."""
    handles: dict[str, set[str]] = defaultdict(set)
    for review in reviews:
        if review.customer_external_id is None and review.author:
            handles[review.source].add(review.author)
    known = {source: queries.customers_by_handle(session, source, names) for source, names in handles.items()}
    items = []
    for review in reviews:
        customer = review.customer_external_id
        if customer is None and review.author:
            customer = known.get(review.source, {}).get(queries.normalised_handle(review.author))
        metadata: dict[str, Any] = dict(review.metadata)
        if review.title:
            metadata["title"] = review.title
        if review.rating is not None and review.rating_scale != 5:
            metadata.update(rating_original=review.rating, rating_scale=review.rating_scale)
        social = review.kind == ReviewKind.social_post
        items.append(
            FeedbackCreate(
                kind=FeedbackKind.social_post if social else FeedbackKind.review,
                source=review.source,
                external_id=review.external_id,
                channel=Channel.social if social else Channel.review,
                text=review.text,
                rating=review.five_point_rating(),
                author=review.author,
                author_email=review.author_email,
                url=review.url,
                customer_external_id=customer,
                posted_at=review.posted_at,
                metadata=metadata,
            )
        )
    return items


def check_review_header(header: Sequence[str]) -> None:
    """InvalidInput naming the problem when a CSV header does not fit the reviews format."""
    names = [h for h in header if not h.startswith("_")]  # '_line', '_reason': a fixed error file imports as is
    unknown = [h for h in names if h not in COLUMNS]
    missing = [c for c in ("source", "external_id", "text") if c not in names]
    problems = [FieldError("header", f"unknown column '{h}'") for h in unknown]
    problems += [FieldError("header", f"missing column '{c}'") for c in missing]
    if problems:
        message = "; ".join(p.message for p in problems) + f" (columns: {', '.join(COLUMNS)})"
        raise InvalidInput(message, errors=problems)


def import_reviews(
    session: Session, *, rows: Sequence[tuple[int, Any]], header: Sequence[str] | None = None
) -> collection.ImportResult:
    """Store the good rows of one file batch (CSV cells under `header`, or decoded JSON Lines objects); each bad
    row is reported with its line."""
    rejected: list[RowError] = []
    good: list[tuple[int, ReviewCreate]] = []
    for line, value in rows:
        record = (
            value if header is None else {h: c for h, c in zip(header, value, strict=False) if c != "" and h[:1] != "_"}
        )
        checked = _checked(record)
        if isinstance(checked, list):
            rejected.append(RowError(line, checked))
        else:
            good.append((line, checked))
    items = as_feedback(session, [review for _, review in good])
    done = collection.import_feedback(
        session, rows=[(line, item) for (line, _), item in zip(good, items, strict=True)], file_format="jsonl"
    )
    return collection.ImportResult(
        created=done.created,
        duplicates=done.duplicates,
        rejected=sorted(rejected + done.rejected, key=lambda error: error.line),
    )
