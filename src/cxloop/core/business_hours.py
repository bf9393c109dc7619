"""Working time: due times counted in business hours of a timezone, with holidays (pure, no database).

A `Calendar` holds the working intervals of each weekday in local wall-clock time. Sums are done on UTC instants,
so a day on which the clocks change still counts the hours that really passed: 09:00-18:00 is nine hours on any
day, and an interval that starts in the hour skipped in spring begins when that hour would have (zoneinfo's rule).
A calendar without hours works around the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
# A calendar with working hours has at least one interval a week, so ten years of days is never reached in practice;
# it bounds the loop for a calendar whose every day is a holiday.
_MAX_DAYS = 3660

Interval = tuple[time, time | None]  # end None: midnight at the end of the day


def parse_timezone(name: str) -> ZoneInfo:
    """The zone called `name` (an IANA name such as 'Europe/Paris'); ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not a known IANA time zone, e.g. 'Europe/Paris'") from None


def parse_hours(hours: Mapping[str, Sequence[str]]) -> dict[int, tuple[Interval, ...]]:
    """{"mon": ["09:00-12:30", "13:30-18:00"], ...} -> weekday -> sorted intervals; ValueError naming the day and the
    interval that is not 'HH:MM-HH:MM' with start before end, or that overlaps another."""
    parsed: dict[int, tuple[Interval, ...]] = {}
    for day, texts in hours.items():
        if day not in WEEKDAYS:
            raise ValueError(f"'{day}' is not a weekday; use {', '.join(WEEKDAYS)}")
        intervals: list[Interval] = []
        for text in texts:
            match = _INTERVAL.match(text.strip())
            if match is None:
                raise ValueError(f"{day}: '{text}' is not an interval like '09:00-18:00'")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = time(h1, m1), None if (h2, m2) == (24, 0) else time(h2 % 24, m2)
            if h2 == 24 and m2 != 0:
                raise ValueError(f"{day}: '{text}' ends after midnight")
            if end is not None and end <= start:
                raise ValueError(f"{day}: '{text}' ends before it starts")
            intervals.append((start, end))
        intervals.sort(key=lambda i: i[0])
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
            if end is None or end > start:
                raise ValueError(f"{day}: intervals overlap")
        if intervals:
            parsed[WEEKDAYS.index(day)] = tuple(intervals)
    if hours and not parsed:
        raise ValueError("give at least one working interval, or no hours at all for around the clock")
    return parsed


@dataclass(frozen=True)
class Calendar:
    """Working time in `zone`: intervals per weekday (0 = Monday), minus holidays. `hours` None: around the clock."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    hours: Mapping[int, tuple[Interval, ...]] | None = None
    holidays: frozenset[date] = frozenset()
    # Per local day: working time before it and its intervals (see `_day`); the first and last day cached.
    _days: dict[date, tuple[timedelta, tuple[tuple[datetime, datetime], ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _span: list[date] = field(default_factory=list, compare=False, repr=False)

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant `minutes` of working time after `start` (an aware datetime; returned in UTC)."""
        start = start.astimezone(UTC)
        remaining = timedelta(minutes=minutes)
        if self.hours is None:
            return start + remaining
        for opens, closes in self._intervals(start):
            begin = max(start, opens)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise ValueError("the calendar has no working time in the next ten years")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from `start` to `end` (0 when end is not after start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.hours is None:
            return (end - start).total_seconds() / 60
        return (self._worked_until(end) - self._worked_until(start)).total_seconds() / 60

    def _worked_until(self, instant: datetime) -> timedelta:
        """Working time from the start of the cached days to `instant` (UTC), in exact microseconds: the days
        before `instant`'s local day are one lookup, so a case open for a year costs what one open for a day does
        (the SLA report and the case export compute two durations per case)."""
        worked, intervals = self._day(instant.astimezone(self.zone).date())
        for opens, closes in intervals:
            if opens >= instant:
                break
            worked += min(closes, instant) - opens
        return worked

    def _day(self, day: date) -> tuple[timedelta, tuple[tuple[datetime, datetime], ...]]:
        """The working time before `day` (from the first cached day on) and `day`'s working intervals in UTC; the
        cache grows day by day towards `day` (bounded by _MAX_DAYS per step)."""
        days = self._days
        if not days:
            days[day] = (timedelta(), self._intervals_of(day))
            self._span.extend([day, day])
        first, last = self._span
        if not first - timedelta(days=_MAX_DAYS) <= day <= last + timedelta(days=_MAX_DAYS):
            raise ValueError(f"{day} is more than ten years from the other instants of this calendar")
        while last < day:
            worked, intervals = days[last]
            last += timedelta(days=1)
            days[last] = (worked + sum((b - a for a, b in intervals), timedelta()), self._intervals_of(last))
        while first > day:
            first -= timedelta(days=1)
            intervals = self._intervals_of(first)
            days[first] = (
                days[first + timedelta(days=1)][0] - sum((b - a for a, b in intervals), timedelta()),
                intervals,
            )
        self._span[:] = [first, last]
        return days[day]

    def _intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals (UTC) from the local day of `start` on, in order."""
        day = start.astimezone(self.zone).date()
        for offset in range(_MAX_DAYS):
            yield from self._intervals_of(day + timedelta(days=offset))

    def _intervals_of(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working intervals (UTC) of one local day, in order; none on a holiday."""
        assert self.hours is not None
        if day in self.holidays:
            return ()
        found = []
        for opens, closes in self.hours.get(day.weekday(), ()):
            begin = datetime.combine(day, opens, tzinfo=self.zone)
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
                if closes is None
                else datetime.combine(day, closes, tzinfo=self.zone)
            )
            found.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return tuple(found)


def calendar(timezone: str, hours: Mapping[str, Sequence[str]] | None, holidays: Sequence[str] = ()) -> Calendar:
    """A calendar from stored settings: zone name, {"mon": ["09:00-18:00"]} or None, ISO dates of holidays."""
    return Calendar(
        zone=parse_timezone(timezone),
        hours=parse_hours(hours) if hours else None,
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
    )
