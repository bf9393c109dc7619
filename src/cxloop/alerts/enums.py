from __future__ import annotations

from enum import StrEnum


class RuleSource(StrEnum):
    """What an alert rule is evaluated on; each has its own condition fields (alerts/fields.py)."""

    feedback = "feedback"  # every stored response and feedback item
    anomaly = "anomaly"  # every anomaly the scan stores (analytics/anomalies.py): aggregates, no customer


class AlertSource(StrEnum):
    """What one alert fired on."""

    response = "response"
    feedback = "feedback"
    anomaly = "anomaly"


# The items a rule of each source is evaluated on.
ITEMS: dict[RuleSource, tuple[AlertSource, ...]] = {
    RuleSource.feedback: (AlertSource.response, AlertSource.feedback),
    RuleSource.anomaly: (AlertSource.anomaly,),
}


def rule_source_of(item: AlertSource) -> RuleSource:
    """The source of the rules evaluated on an item of this kind."""
    return next(rule for rule, items in ITEMS.items() if item in items)
