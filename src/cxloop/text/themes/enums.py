from enum import StrEnum

from cxloop.text.enums import ItemKind  # what a text belongs to: one list, shared with enrichment

__all__ = ["ItemKind", "ThemeKind"]


class ThemeKind(StrEnum):
    """Where a theme comes from: found by discovery, or a user's keyword/phrase rule."""

    discovered = "discovered"
    rule = "rule"
