from enum import StrEnum

from cxloop.journeys.enums import MetricKind

__all__ = ["AnomalyDirection", "AnomalyKind", "FatigueGroup", "GroupKey", "MetricKind", "MetricPath", "MetricSource"]


class GroupKey(StrEnum):
    """What a metric can be grouped by: one time bucket and any of the dimensions."""

    day = "day"
    week = "week"  # ISO week, Monday start, labelled like 2026-W09
    month = "month"
    quarter = "quarter"
    segment = "segment"
    stage = "stage"
    touchpoint = "touchpoint"
    channel = "channel"
    survey = "survey"
    account = "account"

    @property
    def is_time(self) -> bool:
        return self in TIME_KEYS


TIME_KEYS = frozenset({GroupKey.day, GroupKey.week, GroupKey.month, GroupKey.quarter})


class FatigueGroup(StrEnum):
    """What the fatigue report (analytics/fatigue.py) can be grouped by."""

    channel = "channel"
    survey = "survey"
    touchpoint = "touchpoint"
    policy = "policy"  # the contact policy that decided each invitation


class MetricSource(StrEnum):
    """Which feedback a metric counts: survey responses, rated feedback items (CSAT only), or both."""

    responses = "responses"
    feedback = "feedback"
    all = "all"


class MetricPath(StrEnum):
    """How a metric was answered: from the score rollups or from raw rows (same numbers either way)."""

    rollup = "rollup"
    raw = "raw"


class AnomalyKind(StrEnum):
    """What an anomaly series measures (analytics/anomaly_rules.py)."""

    score = "score"  # a metric's score histogram per period (NPS, CSAT, CES)
    share = "share"  # successes of trials per period (answered of sent invitations, negative of all mentions)
    volume = "volume"  # a count of events per period (mentions of a theme)


class AnomalyDirection(StrEnum):
    """Which way an anomaly's series moved against its baseline."""

    drop = "drop"
    rise = "rise"
    surge = "surge"  # a count above its usual range (AnomalyKind.volume)
