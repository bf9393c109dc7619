"""The time filters of list endpoints (`since`, `until`, `tz`), parsed one way everywhere (docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from cxloop.core.clock import parse_bound, zone
from cxloop.core.errors import FieldError, InvalidInput

_FORMS = "a date (2026-01-05), a local time (2026-01-05T10:00) or an ISO-8601 instant (2026-01-05T10:00:00Z)"


@dataclass(frozen=True)
class TimeRange:
    """UTC instants: rows at or after `since` and before `until` (None: unbounded)."""

    since: datetime | None = None
    until: datetime | None = None


def time_range(
    since: Annotated[str | None, Query(description=f"At or after: {_FORMS}, read in `tz`.")] = None,
    until: Annotated[str | None, Query(description=f"Before: {_FORMS}, read in `tz`.")] = None,
    tz: Annotated[str | None, Query(description="IANA zone of dates and local times (default UTC).")] = None,
) -> TimeRange:
    """The range of the query parameters; 422 naming each bad one (an unknown `tz`, a value that is no time)."""
    try:
        zone_info = zone(tz or "UTC")
    except ValueError as exc:
        raise InvalidInput("the time filter has invalid fields", errors=[FieldError("tz", str(exc))]) from exc
    errors, bounds = [], {}
    for field, text in (("since", since), ("until", until)):
        try:
            bounds[field] = parse_bound(text, zone_info) if text else None
        except ValueError:
            errors.append(FieldError(field, f"'{text}' is not {_FORMS}"))
    if errors:
        raise InvalidInput("the time filter has invalid fields", errors=errors)
    return TimeRange(since=bounds["since"], until=bounds["until"])


TimeRangeDep = Annotated[TimeRange, Depends(time_range)]
