from enum import StrEnum


class ThemeKind(StrEnum):
    """Where a theme comes from: found by discovery, or a user's keyword/phrase rule."""

    discovered = "discovered"
    rule = "rule"


class ItemKind(StrEnum):
    """What a theme is assigned to: a survey response's comment or a feedback item's text."""

    response = "response"
    feedback = "feedback"
