"""One customer's timeline: the sources' entries merged newest first, one page at a time by an opaque cursor.

Keyset pagination: the cursor names the last entry of a page by (at, kind, id), and every source reads only what
sorts after it, so entries added meanwhile neither repeat nor shift a page. Each source reads at most `limit + 1`
rows per page, whatever the customer's history.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.core.int_bounds import MAX_LIMIT
from cxloop.customers import service as customers
from cxloop.storage.timeline import Position, TimelineEntry
from cxloop.timeline.sources import View, sources


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineEntry]
    next_cursor: str | None


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.at.astimezone(UTC).isoformat(), position.kind, position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor names; 422 on anything this service did not make."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, kind, id_ = raw
        instant = datetime.fromisoformat(at)
        if instant.tzinfo is None or kind not in sources.kinds() or not isinstance(id_, int) or id_ < 1:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "bad cursor", errors=[FieldError("cursor", "not a cursor from a previous page: start without one")]
        ) from None
    return Position(instant.astimezone(UTC), kind, id_)


def customer_timeline(
    session: Session, *, customer_id: int, view: View, cursor: str | None = None, limit: int = 50
) -> TimelinePage:
    """Everything that happened to the customer, newest first: `limit` entries after `cursor` (None: the newest),
    and the cursor of the next page (None: this was the last). 404 when there is no such customer."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("bad limit", errors=[FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    before = decode_cursor(cursor) if cursor else None
    customers.require_customer(session, customer_id=customer_id)
    found = [entry for source in sources for entry in source.read(session, customer_id, before, limit + 1, view)]
    found.sort(key=lambda entry: (entry.at, entry.kind, entry.id), reverse=True)
    page = found[:limit]
    more = len(found) > limit
    return TimelinePage(items=page, next_cursor=encode_cursor(page[-1].position) if more else None)
