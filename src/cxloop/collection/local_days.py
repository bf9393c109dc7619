"""Local calendar days in any IANA timezone, computed identically in Python and in SQL on SQLite and PostgreSQL.

A local day is a day number: days since 1970-01-01 in the zone. In SQL it is
`floor((epoch seconds + the zone's UTC offset at that instant) / 86400)`, where the offset is a CASE over the zone's
offset changes inside the range being read (found here from zoneinfo). Neither database needs timezone data of its
own, so both give the same day as Python's `datetime.astimezone(zone).date()`, across DST changes included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, case, cast, extract, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.clock import zone as zone  # re-exported: callers ask this module for local days and their zone

SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Offsets change at most twice a year in real zones; probing every 6 hours cannot step over a change and back.
_PROBE_SECONDS = 6 * 3600
# Shifting by a whole number of days before dividing makes integer division floor on both databases (they truncate
# towards zero), so instants before 1970 land on the right day too.
_BIAS_DAYS = 1_000_000
_CACHE_BLOCK = 28 * SECONDS_PER_DAY


def day_number(value: date) -> int:
    """Days since 1970-01-01 for a calendar date."""
    return value.toordinal() - _EPOCH_ORDINAL


def day_date(day: int) -> date:
    """The calendar date of a day number."""
    return date.fromordinal(day + _EPOCH_ORDINAL)


def local_day(at: datetime, tz: ZoneInfo) -> int:
    """The local day number of an aware instant in `tz`."""
    if at.tzinfo is None:
        raise ValueError("local_day needs an aware datetime")
    return day_number(at.astimezone(tz).date())


def _offset_at(tz: ZoneInfo, ts: int) -> int:
    offset = datetime.fromtimestamp(ts, tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def offset_transitions(tz: ZoneInfo, start_ts: int, end_ts: int) -> tuple[int, list[tuple[int, int]]]:
    """The UTC offset (seconds) at `start_ts`, then each (instant, new offset) change up to `end_ts`."""
    block_start = start_ts - start_ts % _CACHE_BLOCK
    block_end = end_ts - end_ts % _CACHE_BLOCK + _CACHE_BLOCK
    return _transitions(tz.key, block_start, block_end)


@lru_cache(maxsize=256)
def _transitions(key: str, start_ts: int, end_ts: int) -> tuple[int, list[tuple[int, int]]]:
    tz = ZoneInfo(key)
    first = _offset_at(tz, start_ts)
    changes: list[tuple[int, int]] = []
    prev_ts, prev_offset = start_ts, first
    while prev_ts < end_ts:
        ts = min(prev_ts + _PROBE_SECONDS, end_ts)
        offset = _offset_at(tz, ts)
        if offset != prev_offset:
            low, high = prev_ts, ts  # offset(low) is the old one, offset(high) the new one
            while high - low > 1:
                mid = (low + high) // 2
                if _offset_at(tz, mid) == prev_offset:
                    low = mid
                else:
                    high = mid
            changes.append((high, offset))
        prev_ts, prev_offset = ts, offset
    return first, changes


def _int(value: int) -> ColumnElement[Any]:
    # Constants are inlined rather than bound, so PostgreSQL sees one identical expression in SELECT and GROUP BY.
    return literal_column(str(int(value)), BigInteger)


def _instant(ts: int) -> ColumnElement[Any]:
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S+00")
    return literal_column(f"TIMESTAMP WITH TIME ZONE '{stamp}'")


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[Any]:
    """Whole seconds since 1970 (floored) of a UTC instant column."""
    if dialect == "sqlite":
        # SQLite parses fractions to whole milliseconds, rounding 23:59:59.9999995 up into the next day: cut the
        # text to whole seconds first (the column holds naive UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]').
        return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer)
    return cast(func.floor(extract("epoch", column)), BigInteger)


def day_expression(
    *, seconds: Any, instant: Any, dialect: str, tz: ZoneInfo, start: datetime, end: datetime
) -> ColumnElement[Any]:
    """SQL for the local day number in `tz`, exact for instants between `start` and `end`.

    `seconds` is `epoch_seconds(instant)` selected in a CTE. SQLite materialises that CTE and compares the stored
    seconds with each offset change; PostgreSQL compares the timestamptz column itself, which avoids recomputing
    EXTRACT in every WHEN.
    """
    first, changes = offset_transitions(tz, int(start.timestamp()), int(end.timestamp()) + 1)
    offset: ColumnElement[Any]
    if not changes:
        offset = _int(first)
    else:
        # Newest change first: most feedback is recent, and SQL stops at the first true WHEN.
        if dialect == "sqlite":
            whens = [(seconds >= _int(ts), _int(off)) for ts, off in reversed(changes)]
        else:
            whens = [(instant >= _instant(ts), _int(off)) for ts, off in reversed(changes)]
        offset = case(*whens, else_=_int(first))
    bias = _BIAS_DAYS * SECONDS_PER_DAY
    shifted: ColumnElement[Any] = seconds + offset + _int(bias)
    return shifted // _int(SECONDS_PER_DAY) - _int(_BIAS_DAYS)
