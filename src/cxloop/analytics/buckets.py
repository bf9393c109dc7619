"""Time buckets (day, ISO week, month, quarter) folded from local day numbers. Pure: no database.

A bucket is identified by the day number of its first day, so buckets sort and step back exactly.
"""

from __future__ import annotations

from datetime import date, timedelta

from cxloop.analytics.enums import GroupKey
from cxloop.collection.local_days import day_date, day_number


def bucket_start(day: int, key: GroupKey) -> int:
    """The first day (a day number) of the `key` bucket holding `day`."""
    value = day_date(day)
    if key is GroupKey.day:
        return day
    if key is GroupKey.week:
        return day - value.weekday()  # Monday
    if key is GroupKey.month:
        return day_number(value.replace(day=1))
    if key is GroupKey.quarter:
        return day_number(date(value.year, 3 * ((value.month - 1) // 3) + 1, 1))
    raise ValueError(f"{key} is not a time bucket")


def previous_start(start: int, key: GroupKey) -> int:
    """The first day of the bucket just before the one starting on `start`."""
    return bucket_start(start - 1, key)


def bucket_label(start: int, key: GroupKey) -> str:
    """2026-03-05 (day), 2026-W10 (ISO week), 2026-03 (month), 2026-Q1 (quarter)."""
    value = day_date(start)
    if key is GroupKey.day:
        return value.isoformat()
    if key is GroupKey.week:
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    if key is GroupKey.month:
        return f"{value.year}-{value.month:02d}"
    if key is GroupKey.quarter:
        return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
    raise ValueError(f"{key} is not a time bucket")


def bucket_end(start: int, key: GroupKey) -> int:
    """The last day of the bucket starting on `start`."""
    value = day_date(start)
    if key is GroupKey.day:
        return start
    if key is GroupKey.week:
        return start + 6
    months = 1 if key is GroupKey.month else 3
    year, month = divmod(value.month - 1 + months, 12)
    return day_number(date(value.year + year, month + 1, 1) - timedelta(days=1))
