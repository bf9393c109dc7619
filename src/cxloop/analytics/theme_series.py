"""The themes' series for the anomaly scan: how often each theme is mentioned per day (a surge is an emerging issue)
and the share of its mentions that read negative (a theme turning sour). Registered by wiring.py; text sits below
analytics, so the figures come from the themes service and are shaped into Series here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from cxloop.analytics.anomaly_rules import Series
from cxloop.analytics.enums import AnomalyKind
from cxloop.collection.local_days import day_date, day_number
from cxloop.text.themes import service as themes

SCOPE = "all customers"


def theme_series(session: Session, first_day: int, last_day: int) -> Iterator[Series]:
    """Two series per visible theme over the scan's days: mentions (a count; 0 on a day without one, from the
    theme's first mention on) and negative mentions out of all (a share, on days with mentions)."""
    since = datetime.combine(day_date(first_day), time(), UTC)
    until = datetime.combine(day_date(last_day), time(), UTC) + timedelta(days=1)
    for theme in themes.daily_mentions(session, since=since, until=until):
        days = {day_number(d): figures for d, figures in theme.days.items()}
        counts = {day: days.get(day, (0, 0))[0] for day in range(min(days), last_day + 1)}
        metric = f"theme:{theme.name}"
        yield Series(f"theme:{theme.theme_id}", AnomalyKind.volume, metric, SCOPE, None, counts)
        shares = {day: (negative, mentions) for day, (mentions, negative) in days.items()}
        yield Series(f"theme-negative:{theme.theme_id}", AnomalyKind.share, metric, SCOPE, None, shares)
