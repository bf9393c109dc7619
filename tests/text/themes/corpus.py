"""Small synthetic corpora with clearly separable topics, written here (no external data): each comment joins three
of its topic's phrases at random with filler words."""

from __future__ import annotations

import random

TOPICS: dict[str, list[str]] = {
    "delivery": [
        "parcel",
        "package",
        "courier",
        "delivery",
        "shipping",
        "arrived late",
        "tracking number",
        "delivered to the wrong address",
    ],
    "billing": [
        "invoice",
        "charged twice",
        "refund",
        "billing",
        "credit card",
        "overcharged",
        "payment failed",
        "direct debit",
    ],
    "app": [
        "app crashes",
        "login screen",
        "mobile app",
        "freezes",
        "update broke",
        "password reset",
        "error message",
        "loading forever",
    ],
    "staff": [
        "support agent",
        "rude",
        "helpful staff",
        "customer service",
        "on hold",
        "call centre",
        "manager",
        "friendly advisor",
    ],
}
FILLER = ["honestly", "really", "again", "this week", "today", "my", "the", "very", "so", "once more", "as usual"]


def comment(rng: random.Random, topic: str) -> str:
    a, b, c = rng.sample(TOPICS[topic], 3)
    return f"{rng.choice(FILLER)} {a} and {b}, {rng.choice(FILLER)} {c}"


def corpus(per_topic: int, *, topics: list[str] | None = None, seed: int = 0) -> tuple[list[str], list[str]]:
    """(texts, topic of each text), topic by topic."""
    rng = random.Random(seed)
    texts, labels = [], []
    for topic in topics or list(TOPICS):
        for _ in range(per_topic):
            texts.append(comment(rng, topic))
            labels.append(topic)
    return texts, labels
