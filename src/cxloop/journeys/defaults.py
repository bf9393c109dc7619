"""The journey every new organisation starts with, and the metric each touchpoint calls for."""

from __future__ import annotations

from typing import TypedDict


class TouchpointSpec(TypedDict):
    key: str
    name: str
    metric: str | None
    timing: str


class StageSpec(TypedDict):
    key: str
    name: str
    touchpoints: list[TouchpointSpec]


DEFAULT_JOURNEY_KEY = "customer-lifecycle"
DEFAULT_JOURNEY_NAME = "Customer lifecycle"

DEFAULT_STAGES: list[StageSpec] = [
    {
        "key": "awareness",
        "name": "Awareness",
        "touchpoints": [
            {
                "key": "website-visit",
                "name": "Website visit",
                "metric": "csat",
                "timing": "Passive feedback button on the website; optional CSAT on key pages",
            },
        ],
    },
    {
        "key": "onboarding",
        "name": "Onboarding",
        "touchpoints": [
            {"key": "sign-up", "name": "Sign-up", "metric": "ces", "timing": "Right after sign-up completes"},
            {
                "key": "first-use",
                "name": "First use",
                "metric": "ces",
                "timing": "CES after first use: 'How easy was it to set up your account?'",
            },
        ],
    },
    {
        "key": "usage",
        "name": "Usage",
        "touchpoints": [
            {
                "key": "support-interaction",
                "name": "Support interaction",
                "metric": "csat",
                "timing": "CSAT within an hour of the support case being solved",
            },
            {
                "key": "delivery",
                "name": "Order delivery",
                "metric": "csat",
                "timing": "CSAT the day after an order is delivered",
            },
            {
                "key": "relationship",
                "name": "Relationship check-in",
                "metric": "nps",
                "timing": "Relationship NPS 30 and 90 days after sign-up, then quarterly",
            },
        ],
    },
    {
        "key": "renewal",
        "name": "Renewal",
        "touchpoints": [
            {
                "key": "renewal",
                "name": "Renewal",
                "metric": "nps",
                "timing": "NPS 60 days before the renewal date",
            },
        ],
    },
    {
        "key": "advocacy",
        "name": "Advocacy",
        "touchpoints": [
            {
                "key": "referral-review",
                "name": "Referral or review",
                "metric": "nps",
                "timing": "After a referral or public review; invite promoters to review",
            },
        ],
    },
]
