"""Read-side SQL of the widget channel: reads collection's responses (a lower domain) and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.collection.models import Response

_CHUNK = 1_000


def response_metadata(session: Session, *, customer_ids: Sequence[int]) -> Iterator[dict[str, Any] | None]:
    """The metadata of every response of these customers (where widget answers record their image files)."""
    for start in range(0, len(customer_ids), _CHUNK):
        chunk = list(customer_ids[start : start + _CHUNK])
        yield from session.scalars(select(Response.meta).where(Response.customer_id.in_(chunk)))


def response_metadata_before(session: Session, *, before: datetime) -> Iterator[dict[str, Any] | None]:
    """The metadata of every response submitted before `before`, streamed."""
    query = select(Response.meta).where(Response.submitted_at < before).execution_options(yield_per=_CHUNK)
    yield from session.scalars(query)
