"""The write path for unstructured feedback items: validate a batch, dedupe on (source, external id), bulk insert.

Duplicates (the same source and external id) are counted and stored once, within one batch as well as across
batches. An item is linked to a customer by `customer_external_id` (unknown ones become bare customers) or, when
that is absent, by an `author_email` that a known customer has. Rated items are told to the `scores_changed`
hook (analytics counts their rating as CSAT).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.collection import hooks, queries
from cxloop.collection.records import FeedbackLike
from cxloop.collection.response_batch import Outcome
from cxloop.collection.response_rows import FUTURE_TOLERANCE
from cxloop.collection.rows import FeedbackRow, ScoredRow, epoch_seconds
from cxloop.collection.schemas import MAX_METADATA_BYTES
from cxloop.core.clock import ensure_utc, utcnow
from cxloop.core.errors import FieldError
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.jobs import events, outbox
from cxloop.journeys import service as journeys
from cxloop.storage import bulk_insert

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(slots=True)
class _Valid:
    index: int
    row: FeedbackRow
    customer: str | None
    email: str | None
    at: datetime
    rating: int | None


def _key(row: Any) -> Hashable | None:
    return None if row.external_id is None else (row.source, row.external_id)


def ingest_feedback(
    session: Session, items: Sequence[FeedbackLike | list[FieldError]], *, atomic: bool = True
) -> Outcome:
    """Validate and store feedback items (an item may arrive as the problems found parsing it).

    `atomic`: when any item is bad, store nothing (else store the good ones and report the bad).
    """
    outcome = Outcome(ids=[None] * len(items))
    now = utcnow()
    codec = bulk_insert.codec_for(session)
    candidates: list[tuple[int, FeedbackLike]] = []
    for i, item in enumerate(items):
        if isinstance(item, list):
            outcome.errors[i] = item
        else:
            candidates.append((i, item))
    touchpoints = journeys.touchpoint_index(session) if any(item.touchpoint for _, item in candidates) else {}
    valid: list[_Valid] = []
    for i, item in candidates:
        checked = _check(item, touchpoints, now, codec)
        if isinstance(checked, list):
            outcome.errors[i] = checked
        else:
            checked.index = i
            valid.append(checked)
    if atomic and outcome.errors:
        return outcome

    stored = queries.feedback_ids_by_key(session, [k for k in (_key(v.row) for v in valid) if k is not None])
    first: dict[Hashable, int] = {}
    fresh: list[_Valid] = []
    for v in valid:
        key = _key(v.row)
        if key is None:
            fresh.append(v)
        elif key in stored:
            outcome.ids[v.index] = stored[key]
            outcome.duplicates += 1
        elif key in first:
            outcome.ids[v.index] = -first[key] - 1
            outcome.duplicates += 1
        else:
            first[key] = v.index
            fresh.append(v)
    _link_customers(session, fresh)
    ids = bulk_insert.insert_rows(
        session,
        table="feedback_items",
        columns=FeedbackRow._fields,
        rows=[v.row for v in fresh],
        conflict=("source", "external_id"),
        key_of=_key,
        lookup=lambda keys: queries.feedback_ids_by_key(session, keys),
    )
    scored: list[ScoredRow] = []
    raced: list[_Valid] = []
    for v, new_id in zip(fresh, ids, strict=True):
        if new_id is None:
            raced.append(v)
            continue
        outcome.ids[v.index] = new_id
        outcome.created += 1
        if v.rating is not None:
            row = v.row
            scored.append(
                ScoredRow(
                    epoch_seconds(v.at),
                    row.customer_id,
                    None,
                    row.channel,
                    row.touchpoint_id,
                    row.stage_id,
                    None,
                    v.rating,
                    None,
                )
            )
    if raced:
        existing = queries.feedback_ids_by_key(session, [_key(v.row) for v in raced])
        for v in raced:
            outcome.ids[v.index] = existing[_key(v.row)]
        outcome.duplicates += len(raced)
    for i, value in enumerate(outcome.ids):
        if value is not None and value < 0:
            outcome.ids[i] = outcome.ids[-value - 1]
    if scored:
        hooks.scores_changed(session, removed=(), added=scored)
    if created := [new_id for new_id in ids if new_id is not None]:
        outbox.emit(session, events.FEEDBACK_RECEIVED, {"feedback_ids": created})
    return outcome


def _check(
    item: FeedbackLike, touchpoints: dict[str, tuple[int, int]], now: datetime, codec: bulk_insert.Codec
) -> list[FieldError] | _Valid:
    problems: list[FieldError] = []
    text = item.text.strip()
    if not text:
        problems.append(FieldError("text", "is required"))
    elif "\x00" in text:
        problems.append(FieldError("text", "must not contain NUL characters"))
    if item.rating is not None and not 1 <= item.rating <= 5:
        problems.append(FieldError("rating", "must be a whole number from 1 to 5"))
    email = item.author_email.strip().lower() if item.author_email else None
    if email is not None and not _EMAIL.match(email):
        problems.append(FieldError("author_email", "is not a valid email address"))
    touchpoint_id = stage_id = None
    if item.touchpoint is not None:
        pair = touchpoints.get(item.touchpoint)
        if pair is None:
            problems.append(FieldError("touchpoint", f"no touchpoint with key '{item.touchpoint}'"))
        else:
            touchpoint_id, stage_id = pair
    posted_at = now if item.posted_at is None else ensure_utc(item.posted_at)
    if posted_at > now + FUTURE_TOLERANCE:
        problems.append(FieldError("posted_at", "is in the future"))
    metadata = codec.json(item.metadata) if item.metadata else "{}"
    if len(metadata) > MAX_METADATA_BYTES:
        problems.append(FieldError("metadata", f"must be at most {MAX_METADATA_BYTES:,} bytes of JSON"))
    elif "\\u0000" in metadata:
        problems.append(FieldError("metadata", "must not contain NUL characters"))
    for name in ("author", "url"):
        value = getattr(item, name)
        if value is not None and "\x00" in value:
            problems.append(FieldError(name, "must not contain NUL characters"))
    if problems:
        return problems
    row = FeedbackRow(
        str(item.kind),
        item.source,
        item.external_id,
        str(item.channel),
        text,
        item.rating,
        item.author,
        email,
        item.url,
        None,
        touchpoint_id,
        stage_id,
        metadata,
        codec.instant(posted_at),
        codec.instant(now),
    )
    return _Valid(index=-1, row=row, customer=item.customer_external_id, email=email, at=posted_at, rating=item.rating)


def _link_customers(session: Session, valid: list[_Valid]) -> None:
    """customer_external_id first (unknown ones become bare customers), else a known customer's email."""
    wanted = {v.customer for v in valid if v.customer is not None}
    known = queries.customers_by_external_id(session, wanted) if wanted else {}
    unknown = sorted(wanted - known.keys())
    if unknown:
        created = customers.upsert_customers(session, items=[CustomerUpsert(external_id=e) for e in unknown])
        known.update({external_id: (cid, None) for external_id, cid in zip(unknown, created, strict=True)})
    emails = {v.email for v in valid if v.customer is None and v.email is not None}
    by_email = queries.customers_by_email(session, emails) if emails else {}
    for v in valid:
        found = known.get(v.customer) if v.customer is not None else by_email.get(v.email or "")
        if found is None:
            continue
        customer_id, stage_id = found
        v.row = v.row._replace(customer_id=customer_id, stage_id=stage_id if v.row.stage_id is None else v.row.stage_id)
