"""The names a dashboard stores: its card kinds and its cards' filter parameters. web/cards.py builds each kind and
web/filters.py reads the filters; tests/dashboards/test_names.py keeps the three in step."""

from __future__ import annotations

from enum import StrEnum


class CardKindName(StrEnum):
    """A kind of card (the key of web/cards.py's registry)."""

    metric = "metric"
    trend = "trend"
    by_segment = "by_segment"
    by_stage = "by_stage"
    by_channel = "by_channel"
    response_rates = "response_rates"
    sla = "sla"
    themes = "themes"
    anomalies = "anomalies"


# The filter bar's parameters (web/filters.py) and the card's metric, in the order a form shows them.
CARD_FILTERS = ("range", "start", "end", "segment", "stage", "touchpoint", "channel", "survey", "metric")
# The date range presets of web/filters.py, and `custom` (with `start` and `end`).
RANGES = ("7d", "30d", "90d", "quarter", "year", "custom")
# What a dashboard-wide filter may set over every card (issue 14): the date range and every dimension of the filter
# bar (segment, journey stage, touchpoint, channel, survey).
BOARD_FILTERS = ("range", "start", "end", "segment", "stage", "touchpoint", "channel", "survey")
