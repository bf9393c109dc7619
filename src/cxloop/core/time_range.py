"""The time filters of list endpoints (`since`/`until` or `start`/`end`, with `tz`), parsed one way everywhere
(docs/api.md "Date and time filters").

No `from __future__ import annotations` here: the dependency's parameter aliases come from the factory's arguments,
which FastAPI could not resolve from annotation strings."""

from collections.abc import Callable
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


def parse_time_range(lower: str | None, upper: str | None, tz: str | None, *, names: tuple[str, str]) -> TimeRange:
    """The range of the texts of the parameters `names`; InvalidInput (422) naming each bad one (an unknown `tz`, a
    value that is no date or time)."""
    try:
        zone_info = zone(tz or "UTC")
    except ValueError as exc:
        raise InvalidInput("the time filter has invalid fields", errors=[FieldError("tz", str(exc))]) from exc
    errors, bounds = [], []
    for name, text in zip(names, (lower, upper), strict=True):
        try:
            bounds.append(parse_bound(text, zone_info) if text else None)
        except ValueError:
            errors.append(FieldError(name, f"'{text}' is not {_FORMS}"))
    if errors:
        raise InvalidInput("the time filter has invalid fields", errors=errors)
    return TimeRange(since=bounds[0], until=bounds[1])


def _dependency(lower_name: str, upper_name: str) -> Callable[..., TimeRange]:
    def time_range(
        lower: Annotated[
            str | None, Query(alias=lower_name, description=f"At or after: {_FORMS}, read in `tz`.")
        ] = None,
        upper: Annotated[str | None, Query(alias=upper_name, description=f"Before: {_FORMS}, read in `tz`.")] = None,
        tz: Annotated[str | None, Query(description="IANA zone of dates and local times (default UTC).")] = None,
    ) -> TimeRange:
        return parse_time_range(lower, upper, tz, names=(lower_name, upper_name))

    return time_range


TimeRangeDep = Annotated[TimeRange, Depends(_dependency("since", "until"))]
StartEndDep = Annotated[TimeRange, Depends(_dependency("start", "end"))]  # the same, named start/end (events)
