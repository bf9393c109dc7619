"""Working time: due times in business hours of a time zone, with holidays and clock changes."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cxloop.core.business_hours import Calendar, calendar, parse_hours

WEEK = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
PARIS = ZoneInfo("Europe/Paris")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_two_business_hours_from_friday_evening_end_on_monday_morning() -> None:
    cal = calendar("Europe/Paris", WEEK)
    friday = local(PARIS, 2026, 12, 4, 17, 30)
    assert cal.add(friday, 120) == local(PARIS, 2026, 12, 7, 10, 30).astimezone(UTC)
    assert cal.minutes_between(friday, local(PARIS, 2026, 12, 7, 10, 30)) == 120


def test_a_start_outside_the_hours_waits_for_the_next_opening() -> None:
    cal = calendar("UTC", WEEK)
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert cal.add(saturday, 30) == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    early = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert cal.add(early, 9 * 60) == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert cal.add(early, 9 * 60 + 1) == datetime(2026, 12, 8, 9, 1, tzinfo=UTC)


def test_holidays_are_skipped() -> None:
    cal = calendar("UTC", WEEK, ["2026-12-25"])
    thursday = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    assert cal.add(thursday, 120) == datetime(2026, 12, 28, 10, 0, tzinfo=UTC)  # Friday 25th off, then the weekend
    assert cal.minutes_between(thursday, datetime(2026, 12, 28, 10, 0, tzinfo=UTC)) == 120


def test_clock_changes_count_the_hours_that_really_pass() -> None:
    # Paris goes from UTC+1 to UTC+2 on Sunday 29 March 2026 at 02:00 local.
    around = Calendar(zone=PARIS)
    saturday_evening = local(PARIS, 2026, 3, 28, 22, 0)
    assert around.add(saturday_evening, 240) == saturday_evening.astimezone(UTC) + timedelta(hours=4)
    cal = calendar("Europe/Paris", {"sat": ["20:00-24:00"], "sun": ["00:00-04:00"]})
    # 4 h on Saturday, then Sunday 00:00-04:00 local is only 3 real hours (02:00-03:00 does not exist).
    assert cal.minutes_between(saturday_evening, local(PARIS, 2026, 3, 29, 4, 0)) == (2 + 3) * 60
    end = cal.add(saturday_evening, 5 * 60)
    assert end == local(PARIS, 2026, 3, 29, 4, 0).astimezone(UTC)
    # Autumn: 25 October 2026, 03:00 back to 02:00; a 00:00-04:00 interval holds five real hours.
    assert cal.minutes_between(local(PARIS, 2026, 10, 25, 0, 0), local(PARIS, 2026, 10, 25, 4, 0)) == 5 * 60
    office = calendar("Europe/Paris", WEEK)
    friday = local(PARIS, 2026, 3, 27, 17, 0)  # the weekend of the change sits in between
    assert office.add(friday, 120) == local(PARIS, 2026, 3, 30, 10, 0).astimezone(UTC)


def test_around_the_clock_and_minutes_between_bounds() -> None:
    cal = Calendar()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert cal.add(start, 90) == start + timedelta(minutes=90)
    assert cal.minutes_between(start, start - timedelta(hours=1)) == 0
    assert cal.minutes_between(start, start + timedelta(hours=2)) == 120


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"monday": ["09:00-18:00"]}, "not a weekday"),
        ({"mon": ["9-18"]}, "is not an interval"),
        ({"mon": ["18:00-09:00"]}, "ends before it starts"),
        ({"mon": ["09:00-13:00", "12:00-18:00"]}, "overlap"),
        ({"mon": []}, "at least one working interval"),
    ],
)
def test_bad_hours_are_refused_naming_the_day(hours: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(hours)


def test_a_calendar_without_working_time_fails_instead_of_looping() -> None:
    year = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(365)]
    cal = calendar("UTC", {"mon": ["09:00-10:00"]}, year)
    assert cal.add(datetime(2026, 1, 1, tzinfo=UTC), 30) == datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="no working time"):
        calendar("UTC", {"mon": ["09:00-10:00"]}).add(datetime(2026, 1, 1, tzinfo=UTC), 60 * 24 * 7 * 600)


def _reference_minutes(cal: Calendar, start: datetime, end: datetime) -> float:
    """The day-by-day walk `minutes_between` did before it kept cumulative working time per day."""
    if end <= start:
        return 0.0
    total = timedelta()
    for opens, closes in cal._intervals(start):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta():
            total += overlap
    return total.total_seconds() / 60


def test_minutes_between_equals_the_day_by_day_walk_exactly_across_dst_holidays_and_years() -> None:
    rng = random.Random(5)
    calendars = [
        calendar("Europe/Paris", {"mon": ["09:00-12:30", "13:30-18:00"], "sat": ["10:00-24:00"]}, ["2026-05-01"]),
        calendar("America/New_York", {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}, ["2026-07-03"]),
        calendar("Australia/Sydney", {"sun": ["00:00-24:00"], "wed": ["02:00-03:30"]}),
    ]
    origin = datetime(2025, 1, 1, tzinfo=UTC)
    for cal in calendars:
        for _ in range(400):
            start = origin + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60), seconds=rng.random() * 60)
            end = start + timedelta(minutes=rng.choice([rng.uniform(0, 600), rng.uniform(0, 400 * 24 * 60)]))
            assert cal.minutes_between(start, end) == _reference_minutes(cal, start, end)
            assert cal.minutes_between(end, start) == 0.0
