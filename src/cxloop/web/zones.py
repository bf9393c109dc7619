"""The time zone a page shows times in, and the one its date range counts days in (issue 14).

Times (when a response arrived, an SLA's due time) are shown in the signed-in user's own zone, or the
organisation's when they have none: the first of CXLOOP_ROLLUP_TIMEZONES, UTC unless set.

A date range ("last 30 days", a custom start and end) is whole days in the user's zone when the metric rollups are
kept in that zone (Settings.rollup_timezones), so the figures still come from rollups; in any other zone the days
are UTC days, because counting another zone's days would read every raw row of the range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cxloop.core.config import Settings

UTC_NAME = "UTC"


def organisation_zone(settings: Settings) -> str:
    """The organisation's zone: the first zone metrics are rolled up in."""
    return settings.rollup_timezones[0] if settings.rollup_timezones else UTC_NAME


def shown_zone(own: str | None, settings: Settings) -> str:
    """The zone times are shown in for a user whose own zone is `own` (None: the organisation's)."""
    return own or organisation_zone(settings)


def range_zone(shown: str, settings: Settings) -> str:
    """The zone whose days a date range counts: the shown zone when rollups hold it, else UTC."""
    return shown if shown in settings.rollup_timezones else UTC_NAME


def today_in(zone: str, now: datetime | None = None) -> date:
    """The date it is now in `zone`."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


def local_time(moment: datetime | None, zone: str) -> str:
    """'2026-12-07 14:05 CET': an instant as the wall time in `zone`, with the zone's abbreviation."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or zone)
