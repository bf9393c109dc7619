"""The one registry of churn-model features: what each measures, in words people read as a customer's top factor.

Every feature is computed as of a snapshot instant from data before it (churn/queries.py), so a model trained on an
earlier snapshot never sees what happened after it. Counts run over a fixed window, never all time: an all-time
count only grows as history accumulates, so a model trained on an earlier snapshot would overrate a later one.
`missing` says how a customer without the data is filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FeatureGroup(StrEnum):
    experience = "experience"
    behaviour = "behaviour"
    operations = "operations"
    account = "account"


@dataclass(frozen=True)
class Feature:
    name: str
    group: FeatureGroup
    label: str  # what a high value means, as shown next to a customer
    missing: str  # "median" (the training customers' median) or "zero"


RECENT_DAYS = 90  # "recent" events and tickets: the 90 days before the snapshot
IDLE_CAP_DAYS = 365  # days since the last event, capped (and the value of a customer with none)
HELPDESK_EVENTS = ("ticket_created", "ticket_solved", "chat_ended")  # operations, not product use

_FEATURES = (
    Feature("nps_last", FeatureGroup.experience, "latest NPS answer", "median"),
    Feature("nps_trend", FeatureGroup.experience, "NPS trend (latest answer minus the earlier mean)", "zero"),
    Feature("no_nps", FeatureGroup.experience, "never answered an NPS question", "zero"),
    Feature(
        "detractors_recent",
        FeatureGroup.experience,
        f"NPS answers of 0-6 (detractor) in the last {RECENT_DAYS} days",
        "zero",
    ),
    Feature("csat_last", FeatureGroup.experience, "latest CSAT answer", "median"),
    Feature("ces_last", FeatureGroup.experience, "latest CES answer (higher is easier)", "median"),
    Feature("negative_share", FeatureGroup.experience, "share of negative comments (text analytics)", "zero"),
    Feature("events_recent", FeatureGroup.behaviour, f"product events in the last {RECENT_DAYS} days", "zero"),
    Feature("days_idle", FeatureGroup.behaviour, "days since the last product event", "zero"),
    Feature("tickets_recent", FeatureGroup.operations, f"support tickets in the last {RECENT_DAYS} days", "zero"),
    Feature("reopens_recent", FeatureGroup.operations, f"ticket reopens in the last {RECENT_DAYS} days", "zero"),
    Feature("tenure_days", FeatureGroup.account, "days since sign-up", "median"),
    Feature("arr_log", FeatureGroup.account, "account ARR (log scale)", "zero"),
)

FEATURES: dict[str, Feature] = {f.name: f for f in _FEATURES}
NAMES: tuple[str, ...] = tuple(FEATURES)
