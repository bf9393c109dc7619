"""The demo's window of time and the things that happen in it: a billing migration, a support staffing change and a
week-long platform outage."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# Both planted events are placed relative to the anchor, so with the default 12 months they fall in month 7 and
# month 10 of the window, and they move with the anchor.
MIGRATION_MONTHS_BEFORE_ANCHOR = 6
MIGRATION_LENGTH_MONTHS = 2
STAFFING_MONTHS_BEFORE_ANCHOR = 3
INCIDENT_WEEKS_BEFORE_ANCHOR = 7  # a week-long platform outage, starting on a Monday


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of shorter months."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def midnight(day: date) -> datetime:
    """00:00 UTC on `day`."""
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DemoPeriod:
    """The simulated window: `start` <= every instant < `end` (midnight UTC starting the anchor day)."""

    anchor: date
    months: int
    start: datetime
    end: datetime
    migration_start: datetime
    migration_end: datetime
    staffing_change: datetime
    incident_start: datetime
    incident_end: datetime

    @classmethod
    def ending(cls, anchor: date, months: int) -> DemoPeriod:
        """The `months` calendar months before `anchor`."""
        incident = anchor - timedelta(weeks=INCIDENT_WEEKS_BEFORE_ANCHOR)
        incident -= timedelta(days=incident.weekday())
        return cls(
            anchor=anchor,
            months=months,
            start=midnight(add_months(anchor, -months)),
            end=midnight(anchor),
            migration_start=midnight(add_months(anchor, -MIGRATION_MONTHS_BEFORE_ANCHOR)),
            migration_end=midnight(add_months(anchor, -MIGRATION_MONTHS_BEFORE_ANCHOR + MIGRATION_LENGTH_MONTHS)),
            staffing_change=midnight(add_months(anchor, -STAFFING_MONTHS_BEFORE_ANCHOR)),
            incident_start=midnight(incident),
            incident_end=midnight(incident + timedelta(days=7)),
        )

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)

    def in_migration(self, at: datetime) -> bool:
        """True while the new billing system is bedding in (double charges, failed card payments)."""
        return self.migration_start <= at < self.migration_end

    def staffed_up(self, at: datetime) -> bool:
        """True once the support team has been enlarged (shorter waits, fewer transfers)."""
        return at >= self.staffing_change

    def in_incident(self, at: datetime) -> bool:
        """True during the week the ordering platform kept going down (an emerging issue for the analyses to find)."""
        return self.incident_start <= at < self.incident_end

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end
