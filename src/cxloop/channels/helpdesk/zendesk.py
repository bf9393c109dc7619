"""Zendesk trigger/automation webhooks: the JSON body documented in docs/channels-helpdesk-reviews.md.

Zendesk sends ticket activity through a trigger whose webhook body the admin writes with placeholders
(`{{ticket.id}}`, `{{ticket.status}}`, ...), which render ids and numbers as text and unknown values as "".
`ticket.metrics`, when an app adds it, has the fields of Zendesk's Ticket Metrics API.
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
from cxloop.channels.helpdesk.payload_fields import PayloadReader
from cxloop.channels.helpdesk.transcripts import conversation_kind, normalised_channel, render
from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.core.clock import utcnow

SOURCE = "zendesk"
_SOLVED = {"solved", "closed"}


def parse(payload: Any) -> HelpdeskActivity:
    """The activity a Zendesk webhook body describes; MalformedWebhook naming every bad field."""
    read = PayloadReader()
    if not isinstance(payload, dict):
        read.problem("body", "must be a JSON object with a 'ticket' object")
        read.finish("Zendesk")
    ticket = read.section(payload, "ticket", "ticket") or {}
    ticket_id = read.text(ticket, "id", "ticket.id", required=True)
    status = (read.text(ticket, "status", "ticket.status") or "").lower() or None
    event = _event(read, payload, status)
    created_at = read.instant(ticket, "created_at", "ticket.created_at")
    updated_at = read.instant(ticket, "updated_at", "ticket.updated_at")
    solved_at = read.instant(ticket, "solved_at", "ticket.solved_at")
    if event == HelpdeskEvent.ticket_solved and solved_at is None and updated_at is None:
        # Without it a resent webhook and a second solve (after a reopen) look the same.
        read.problem("ticket.updated_at", "is required for a solved ticket (or send ticket.solved_at)")
    assignee = read.section(ticket, "assignee", "ticket.assignee", required=False) or {}
    requester_data = read.section(ticket, "requester", "ticket.requester", required=False) or {}
    requester = Requester(
        external_id=read.text(requester_data, "external_id", "ticket.requester.external_id"),
        email=read.email(requester_data, "email", "ticket.requester.email"),
        name=read.text(requester_data, "name", "ticket.requester.name", limit=300),
    )
    metrics = read.section(ticket, "metrics", "ticket.metrics", required=False) or {}
    wait = _calendar_minutes(read, metrics, "reply_time_in_minutes")
    handle = _calendar_minutes(read, metrics, "full_resolution_time_in_minutes")
    if handle is None and event == HelpdeskEvent.ticket_solved and created_at and (solved_at or updated_at):
        handle = round(((solved_at or updated_at or created_at) - created_at).total_seconds() / 60, 1)
    stations = read.count(metrics, "assignee_stations", "ticket.metrics.assignee_stations")
    channel = normalised_channel(read.text(ticket, "via", "ticket.via"))
    properties = event_properties(
        ticket_id=ticket_id,
        status=status,
        channel=channel,
        priority=(read.text(ticket, "priority", "ticket.priority") or "").lower() or None,
        subject=read.text(ticket, "subject", "ticket.subject", limit=1000),
        agent=read.text(assignee, "name", "ticket.assignee.name", limit=300)
        or read.text(assignee, "email", "ticket.assignee.email", limit=320),
        agent_id=read.text(assignee, "id", "ticket.assignee.id"),
        team=read.text(ticket, "group", "ticket.group"),
        wait_minutes=wait,
        handle_minutes=handle,
        transfers=None if stations is None else max(stations - 1, 0),
        reopens=read.count(metrics, "reopens", "ticket.metrics.reopens"),
    )
    requester_id = read.text(requester_data, "id", "ticket.requester.id")
    texts = _texts(read, ticket, ticket_id or "", requester_id, channel)
    read.finish("Zendesk")
    assert ticket_id is not None and event is not None
    occurred_at = _occurred(event, created_at, updated_at, solved_at)
    external_id = activity_key(ticket_id, event, occurred_at, repeatable=event == HelpdeskEvent.ticket_solved)
    date_transcripts(texts, external_id, occurred_at)
    return HelpdeskActivity(
        source=SOURCE,
        event=event,
        external_id=external_id,
        occurred_at=occurred_at,
        channel=Channel.chat if channel in {"chat", "messaging"} else Channel.support,
        properties=properties,
        requester=requester,
        texts=texts,
    )


def _event(read: PayloadReader, payload: dict[str, Any], status: str | None) -> HelpdeskEvent | None:
    named = read.text(payload, "event", "event")
    if named is not None:
        if named not in {HelpdeskEvent.ticket_created, HelpdeskEvent.ticket_solved}:
            read.problem("event", "must be 'ticket_created' or 'ticket_solved'")
            return None
        return HelpdeskEvent(named)
    if status in _SOLVED:
        return HelpdeskEvent.ticket_solved
    if status == "new":
        return HelpdeskEvent.ticket_created
    read.problem("event", f"is required when the ticket status is '{status or ''}' (ticket_created or ticket_solved)")
    return None


def _calendar_minutes(read: PayloadReader, metrics: dict[str, Any], name: str) -> float | None:
    """A Ticket Metrics duration: {"calendar": m, "business": m} (calendar minutes are used) or a plain number."""
    value = metrics.get(name)
    if isinstance(value, dict):
        return read.number(value, "calendar", f"ticket.metrics.{name}.calendar")
    return read.number(metrics, name, f"ticket.metrics.{name}")


def _occurred(
    event: HelpdeskEvent, created_at: datetime | None, updated_at: datetime | None, solved_at: datetime | None
) -> datetime:
    if event == HelpdeskEvent.ticket_created:
        return created_at or updated_at or utcnow()
    return solved_at or updated_at or utcnow()


def _texts(
    read: PayloadReader, ticket: dict[str, Any], ticket_id: str, requester_id: str | None, channel: str | None
) -> list[TextItem]:
    """Public comments (or a rendered `transcript` text) as one transcript; private comments as agent notes."""
    texts: list[TextItem] = []
    lines: list[tuple[datetime | None, str, str]] = []
    comments = ticket.get("comments")
    if comments is not None and not isinstance(comments, list):
        read.problem("ticket.comments", "must be a list of comment objects")
        comments = None
    for i, comment in enumerate(comments or []):
        path = f"ticket.comments.{i}"
        if not isinstance(comment, dict):
            read.problem(path, "must be a JSON object")
            continue
        body = read.text(comment, "body", f"{path}.body", required=True, limit=100_000)
        author = read.section(comment, "author", f"{path}.author", required=False) or {}
        author_id = read.text(comment, "author_id", f"{path}.author_id")
        name = read.text(author, "name", f"{path}.author.name", limit=300) or (
            "customer" if author_id is not None and author_id == requester_id else "agent"
        )
        at = read.instant(comment, "created_at", f"{path}.created_at")
        public = comment.get("public", True)
        if body is None:
            continue
        if public is False:
            comment_id = read.text(comment, "id", f"{path}.id", required=True)
            if comment_id is not None:
                texts.append(TextItem(FeedbackKind.note, f"{ticket_id}:note:{comment_id}", body, name, at))
        else:
            lines.append((at, name, body))
    rendered = read.text(ticket, "transcript", "ticket.transcript", limit=100_000)
    transcript = render(lines) if lines else rendered
    if transcript:
        texts.insert(0, TextItem(conversation_kind(channel), "", transcript))
    return texts
