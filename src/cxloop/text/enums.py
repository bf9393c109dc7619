from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    """What an analysed text belongs to: a response's comment or a feedback item's text."""

    response = "response"
    feedback = "feedback"


class SentimentLabel(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"


# The text field analysed for each kind of item (one analysis row per item and field).
TEXT_FIELD = {ItemKind.response: "comment", ItemKind.feedback: "text"}
