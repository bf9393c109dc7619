"""Intercom webhook notifications (`notification_event`) about conversations.

`conversation.admin.closed` becomes `chat_ended`, `conversation.user.created` becomes `ticket_created`; `ping` and
other topics are acknowledged and ignored. The conversation object is Intercom's REST model: Unix-second times,
`statistics` durations in seconds, HTML bodies in `source` and `conversation_parts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxloop.channels.helpdesk.activity import (
    HelpdeskActivity,
    HelpdeskEvent,
    Requester,
    TextItem,
    activity_key,
    date_transcripts,
    event_properties,
)
from cxloop.channels.helpdesk.payload_fields import PayloadReader, minutes
from cxloop.channels.helpdesk.transcripts import conversation_kind, normalised_channel, plain_text, render
from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.core.clock import utcnow

SOURCE = "intercom"
TOPICS = {
    "conversation.admin.closed": HelpdeskEvent.chat_ended,
    "conversation.user.created": HelpdeskEvent.ticket_created,
}
_CONTACT_AUTHORS = {"user", "lead", "contact"}
_PRIORITY = {"priority": "high", "not_priority": "normal"}


def parse(payload: Any) -> HelpdeskActivity | None:
    """The activity a notification describes, None for topics cxloop does not record; MalformedWebhook otherwise."""
    read = PayloadReader()
    if not isinstance(payload, dict):
        read.problem("body", "must be a JSON object (an Intercom notification_event)")
        read.finish("Intercom")
    topic = read.text(payload, "topic", "topic", required=True)
    read.finish("Intercom")
    event = TOPICS.get(topic or "")
    if event is None:
        return None
    data = read.section(payload, "data", "data") or {}
    item = read.section(data, "item", "data.item") or {}
    conversation_id = read.text(item, "id", "data.item.id", required=True)
    source = read.section(item, "source", "data.item.source", required=False) or {}
    author = read.section(source, "author", "data.item.source.author", required=False) or {}
    statistics = read.section(item, "statistics", "data.item.statistics", required=False) or {}
    stats = "data.item.statistics"
    created_at = read.instant(item, "created_at", "data.item.created_at")
    closed_at = read.instant(statistics, "last_close_at", f"{stats}.last_close_at") or read.instant(
        item, "updated_at", "data.item.updated_at"
    )
    if event == HelpdeskEvent.chat_ended and closed_at is None:
        read.problem("data.item.updated_at", "is required (or statistics.last_close_at)")
    parts = _parts(read, item)
    assignments = read.count(statistics, "count_assignments", f"{stats}.count_assignments")
    channel = normalised_channel(read.text(source, "type", "data.item.source.type"))
    closer: dict[str, Any] = next((p for p in reversed(parts) if p.get("part_type") == "close"), {})
    closer_author = _author(closer)
    properties = event_properties(
        ticket_id=conversation_id,
        status=(read.text(item, "state", "data.item.state") or "").lower() or None,
        channel=channel,
        priority=_PRIORITY.get(read.text(item, "priority", "data.item.priority") or ""),
        subject=plain_text(read.text(source, "subject", "data.item.source.subject", limit=1000) or "") or None,
        agent=read.text(closer_author, "name", "closing part author name", limit=300),
        agent_id=read.text(item, "admin_assignee_id", "data.item.admin_assignee_id"),
        team=read.text(item, "team_assignee_id", "data.item.team_assignee_id"),
        wait_minutes=minutes(read.number(statistics, "time_to_admin_reply", f"{stats}.time_to_admin_reply")),
        handle_minutes=minutes(read.number(statistics, "time_to_last_close", f"{stats}.time_to_last_close")),
        transfers=None if assignments is None else max(assignments - 1, 0),
        reopens=read.count(statistics, "count_reopens", f"{stats}.count_reopens"),
    )
    requester = _requester(read, item, author)
    texts = _texts(read, conversation_id or "", source, author, parts, channel)
    read.finish("Intercom")
    assert conversation_id is not None
    occurred_at = (closed_at if event == HelpdeskEvent.chat_ended else created_at) or utcnow()
    # A conversation may be closed, reopened and closed again.
    external_id = activity_key(conversation_id, event, occurred_at, repeatable=event == HelpdeskEvent.chat_ended)
    date_transcripts(texts, external_id, occurred_at)
    return HelpdeskActivity(
        source=SOURCE,
        event=event,
        external_id=external_id,
        occurred_at=occurred_at,
        channel=Channel.chat,
        properties=properties,
        requester=requester,
        texts=texts,
    )


def _parts(read: PayloadReader, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation parts: `{"conversation_parts": {"conversation_parts": [...]}}`, or a plain list."""
    value = item.get("conversation_parts")
    if isinstance(value, dict):
        value = value.get("conversation_parts")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        read.problem("data.item.conversation_parts", "must be a list of conversation part objects")
        return []
    return value


def _requester(read: PayloadReader, item: dict[str, Any], author: dict[str, Any]) -> Requester:
    """The first contact (its `external_id` is your user id); the email from the contact who started it."""
    contacts: Any = item.get("contacts")
    if isinstance(contacts, dict):
        contacts = contacts.get("contacts")
    first = contacts[0] if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict) else {}
    from_contact = author.get("type") in _CONTACT_AUTHORS
    return Requester(
        external_id=read.text(first, "external_id", "data.item.contacts.0.external_id"),
        email=read.email(author, "email", "data.item.source.author.email") if from_contact else None,
        name=read.text(author, "name", "data.item.source.author.name", limit=300) if from_contact else None,
    )


def _texts(
    read: PayloadReader,
    conversation_id: str,
    source: dict[str, Any],
    author: dict[str, Any],
    parts: list[dict[str, Any]],
    channel: str | None,
) -> list[TextItem]:
    """The messages as one transcript; admin notes as separate note items."""
    lines: list[tuple[datetime | None, str, str]] = []
    texts: list[TextItem] = []
    first = plain_text(str(source.get("body") or ""))
    if first:
        lines.append((None, _name(author), first))
    for i, part in enumerate(parts):
        body = plain_text(str(part.get("body") or ""))
        if not body:
            continue
        part_author = _author(part)
        at = read.instant(part, "created_at", f"data.item.conversation_parts.{i}.created_at")
        if part.get("part_type") == "note":
            part_id = read.text(part, "id", f"data.item.conversation_parts.{i}.id", required=True)
            if part_id is not None:
                note_id = f"{conversation_id}:note:{part_id}"
                texts.append(TextItem(FeedbackKind.note, note_id, body, _name(part_author), at))
            continue
        lines.append((at, _name(part_author), body))
    if lines:
        texts.insert(0, TextItem(conversation_kind(channel), "", render(lines)))
    return texts


def _author(part: dict[str, Any]) -> dict[str, Any]:
    author = part.get("author")
    return author if isinstance(author, dict) else {}


def _name(author: dict[str, Any]) -> str:
    name = author.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    kind = author.get("type")
    return "agent" if kind == "admin" else "bot" if kind == "bot" else "customer"
