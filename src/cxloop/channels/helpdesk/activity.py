"""What a helpdesk webhook tells us, once parsed: one ticket or chat event plus the texts worth keeping.

The provider modules (zendesk.py, intercom.py, generic.py) fill these; service.py stores them. Property names are
a contract with trigger rules ("CSAT after ticket solved"): see docs/channels-helpdesk-reviews.md before renaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cxloop.collection.enums import Channel, FeedbackKind


class HelpdeskEvent(StrEnum):
    """The event names helpdesk webhooks record; stable, triggers match on them."""

    ticket_created = "ticket_created"
    ticket_solved = "ticket_solved"
    chat_ended = "chat_ended"


# Every event carries all of these keys (null when the helpdesk did not say), so rules can rely on them.
PROPERTY_NAMES = (
    "ticket_id",
    "status",
    "channel",
    "priority",
    "subject",
    "agent",
    "agent_id",
    "team",
    "wait_minutes",
    "handle_minutes",
    "transfers",
    "reopens",
)


@dataclass
class Requester:
    """Who the ticket or chat is about, as far as the helpdesk knows them."""

    external_id: str | None = None
    email: str | None = None
    name: str | None = None


@dataclass
class TextItem:
    """A transcript or an agent note, to be stored as a feedback item (deduplicated on source + external_id)."""

    kind: FeedbackKind
    external_id: str
    text: str
    author: str | None = None
    posted_at: datetime | None = None


@dataclass
class HelpdeskActivity:
    """One parsed webhook: the event to record and the texts that came with it."""

    source: str  # 'zendesk', 'intercom' or the generic sender's own name
    event: HelpdeskEvent
    external_id: str  # dedupe key of the event within `source`: a resent webhook maps to the same one
    occurred_at: datetime
    channel: Channel  # the feedback channel for the texts: support (tickets) or chat
    properties: dict[str, Any]
    requester: Requester = field(default_factory=Requester)
    texts: list[TextItem] = field(default_factory=list)


def activity_key(thread_id: str, event: HelpdeskEvent, occurred_at: datetime, *, repeatable: bool) -> str:
    """The event's dedupe key: one per thread and event, and per instant for an event that can happen again (a
    ticket solved, reopened and solved again). The thread's transcript is keyed by it too, dated at the event."""
    key = f"{thread_id}:{event.value}"
    return f"{key}:{occurred_at.isoformat()}" if repeatable else key


def date_transcripts(texts: list[TextItem], external_id: str, occurred_at: datetime) -> None:
    """Key the transcripts (not the agents' notes, which have their own ids) by the event and date them at it."""
    for text in texts:
        if text.kind != FeedbackKind.note:
            text.external_id = f"{external_id}:transcript"
            text.posted_at = occurred_at


def event_properties(**values: Any) -> dict[str, Any]:
    """The full property set: every name in PROPERTY_NAMES, null when not given."""
    unknown = set(values) - set(PROPERTY_NAMES)
    if unknown:
        raise ValueError(f"unknown helpdesk event properties: {sorted(unknown)}")
    return {name: values.get(name) for name in PROPERTY_NAMES}
