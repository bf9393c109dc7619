"""Time is UTC and timezone-aware everywhere inside cxloop; convert only at the edges."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator

# Set only by `pinned`: the demo builder plays a year of case handling through the services at past instants.
_PINNED: ContextVar[datetime | None] = ContextVar("cxloop_pinned_now", default=None)


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC (the pinned instant inside `pinned`)."""
    return _PINNED.get() or datetime.now(UTC)


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Inside the block (this thread or task only), `utcnow()` answers `at`: for building history through the
    services, as the demo does, so their timestamps, activity logs and SLA clocks are those of that instant."""
    token = _PINNED.set(ensure_utc(at))
    try:
        yield
    finally:
        _PINNED.reset(token)


def ensure_utc(value: datetime) -> datetime:
    """A naive datetime is taken to be UTC; an aware one is converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def refuse_number(value: Any) -> Any:
    """A date or date-time of a JSON body is text: a number (seconds? milliseconds?) is refused, not guessed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("write the date as text in ISO 8601 (2026-12-07 or 2026-12-07T09:30:00Z), not as a number")
    return value


# Date and date-time fields of request bodies: ISO 8601 text only (pydantic would read a number as Unix time).
JsonDateTime = Annotated[datetime, BeforeValidator(refuse_number)]
JsonDate = Annotated[date, BeforeValidator(refuse_number)]
# A date-time field of a JSON body: naive means UTC (a body has no `tz`), stored aware.
UtcInstant = Annotated[datetime, BeforeValidator(refuse_number), AfterValidator(ensure_utc)]


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 timestamp ('Z' allowed); naive means UTC. Raises ValueError."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return ensure_utc(datetime.fromisoformat(text))


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError in plain words when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:  # OSError: a name too long for a path
        raise ValueError(f"'{name}' is not an IANA timezone name (for example Europe/London or UTC)") from exc


def parse_bound(text: str, tz: ZoneInfo) -> datetime:
    """The UTC instant of a time filter (docs/api.md "Date and time filters"): a date (2026-01-05) is the start of
    that day in `tz`, a time without offset (2026-01-05T10:00) that wall time in `tz`, a time with an offset or 'Z'
    that instant. Raises ValueError."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(), tz).astimezone(UTC)
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo is not None else value.replace(tzinfo=tz)).astimezone(UTC)
