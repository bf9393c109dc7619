"""The typed rows of the write path: what is inserted (responses, feedback items), and what the hooks see of it.

NamedTuples: they are the tuples the bulk insert and the column-wise rollup counting want (no copy), their fields
read by name, and they pickle as plain tuples across the import's reader process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple


class ResponseRow(NamedTuple):
    """One `responses` row ready to insert, values encoded for the session's database (bulk_insert.Codec)."""

    survey_id: int
    survey_version_id: int
    customer_id: int | None
    channel: str
    touchpoint_id: int | None
    stage_id: int | None
    answers: str  # JSON
    nps: int | None
    csat: int | None
    ces: int | None
    comment: str | None
    metadata: str  # JSON
    locale: str | None
    is_partial: Any  # the codec's flag
    submitted_at: Any  # the codec's instant
    received_at: Any
    idempotency_key: str | None

    def linked(self, customer_id: int | None, stage_id: int | None) -> ResponseRow:
        """The row with its customer (and stage) set."""
        values = list(self)
        values[2], values[5] = customer_id, stage_id
        return _new(ResponseRow, values)

    def placed(self, touchpoint_id: int | None, stage_id: int | None) -> ResponseRow:
        """The row with its touchpoint and stage set."""
        values = list(self)
        values[4], values[5] = touchpoint_id, stage_id
        return _new(ResponseRow, values)


# Builds a row from a tuple of all its values: the hot paths use it, a NamedTuple's own constructor (keyword-capable,
# in Python) costs five times as much per row.
_new = tuple.__new__


COLUMNS = ResponseRow._fields


class FeedbackRow(NamedTuple):
    """One `feedback_items` row ready to insert, values encoded for the session's database."""

    kind: str
    source: str
    external_id: str | None
    channel: str
    text: str
    rating: int | None
    author: str | None
    author_email: str | None
    url: str | None
    customer_id: int | None
    touchpoint_id: int | None
    stage_id: int | None
    metadata: str  # JSON
    posted_at: Any  # the codec's instant
    received_at: Any


class ScoredRow(NamedTuple):
    """A stored response or rated feedback item as the score rollups see it. For a feedback item survey_id, nps
    and ces are None and csat is its 1-5 rating."""

    seconds: int  # submitted_at / posted_at in whole seconds since 1970, floored
    customer_id: int | None
    survey_id: int | None
    channel: str
    touchpoint_id: int | None
    stage_id: int | None
    nps: int | None
    csat: int | None
    ces: int | None


_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(at: datetime) -> int:
    """Whole seconds since 1970 of an aware instant, floored (as the rollups' SQL recount counts them)."""
    return (at - _EPOCH) // _ONE_SECOND
