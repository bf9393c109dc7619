from enum import StrEnum

from cxloop.text.enums import ItemKind  # what a text belongs to: one list, shared with enrichment

__all__ = ["ItemKind", "RunStatus", "ThemeKind"]


class ThemeKind(StrEnum):
    """Where a theme comes from: found by discovery, or a user's keyword/phrase rule."""

    discovered = "discovered"
    rule = "rule"


class RunStatus(StrEnum):
    """A discovery run's state: queued by the API for the worker, running (under a lease), done or failed."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
