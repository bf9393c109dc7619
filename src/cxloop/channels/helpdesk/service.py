"""Store a parsed helpdesk webhook: link the customer, record the event once, keep transcripts and notes.

Linking (docs/channels-helpdesk-reviews.md, "How linking works"): the requester's external id wins (an unknown one
becomes a new customer with the email and name the helpdesk gave); else the oldest customer with the requester's
email; else a new customer whose external id is that email, so "CSAT after ticket solved" can reach them. Without
either the event is stored unlinked.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.channels.helpdesk import queries
from cxloop.channels.helpdesk.activity import HelpdeskActivity, Requester, TextItem
from cxloop.channels.helpdesk.errors import MalformedWebhook
from cxloop.collection import service as collection
from cxloop.collection.schemas import MAX_BATCH, FeedbackCreate
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert, EventCreate

MAX_TRANSCRIPT = 100_000
_CUT = "\n[…transcript cut at 100,000 characters]"


@dataclass
class HelpdeskResult:
    """What one webhook stored: whether its event was new, the customer it was linked to, and the texts kept."""

    event: str
    event_created: bool
    customer_external_id: str | None
    feedback_created: int
    feedback_duplicates: int


def record_activity(session: Session, activity: HelpdeskActivity) -> HelpdeskResult:
    """Store the event (once per source + external id) and its texts, linked to the customer; all or nothing."""
    event = _event(activity)  # validated before anything is written
    customer = _linked_customer(session, activity.requester)
    event = event.model_copy(update={"customer_external_id": customer})
    recorded = customers.record_events(session, items=[event])
    created = duplicates = 0
    items = [_feedback(activity, text, customer) for text in activity.texts]
    for start in range(0, len(items), MAX_BATCH):  # a long ticket may carry more notes than one batch holds
        batch = items[start : start + MAX_BATCH]
        try:
            stored = collection.record_feedback(session, items=batch)
        except InvalidInput as exc:
            raise MalformedWebhook(
                "a transcript or note of the webhook cannot be stored; nothing was stored",
                errors=[_named(batch, e) for e in exc.errors],
            ) from None
        created, duplicates = created + stored.created, duplicates + stored.duplicates
    return HelpdeskResult(activity.event.value, recorded.created == 1, customer, created, duplicates)


def _named(batch: list[FeedbackCreate], error: FieldError) -> FieldError:
    """`items.3.posted_at` as `note 35436:note:9: posted_at`: the sender has no items, only its notes."""
    index, _, name = error.field.removeprefix("items.").partition(".")
    if not index.isdigit() or int(index) >= len(batch):
        return error
    item = batch[int(index)]
    return FieldError(f"{item.kind} {item.external_id}: {name or 'item'}", error.message)


def _event(activity: HelpdeskActivity) -> EventCreate:
    try:
        return EventCreate(
            name=activity.event.value,
            properties=activity.properties,
            occurred_at=activity.occurred_at,
            source=activity.source,
            external_id=activity.external_id,
        )
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise MalformedWebhook("the webhook describes an event cxloop cannot store", errors=errors) from None


def _linked_customer(session: Session, requester: Requester) -> str | None:
    """The external id of the requester's customer, creating the customer when needed (see the module doc)."""
    if requester.external_id:
        if not customers.resolve_customer_ids(session, external_ids=[requester.external_id]):
            _create(session, requester.external_id, requester)
        return requester.external_id
    if requester.email:
        found = queries.external_id_by_email(session, requester.email)
        if found is not None:
            return found
        if not customers.resolve_customer_ids(session, external_ids=[requester.email]):
            _create(session, requester.email, requester)
        return requester.email
    return None


def _create(session: Session, external_id: str, requester: Requester) -> None:
    fields = {"email": requester.email, "name": requester.name}
    data = CustomerUpsert(external_id=external_id, **{k: v for k, v in fields.items() if v is not None})
    customers.upsert_customers(session, items=[data])


def _feedback(activity: HelpdeskActivity, text: TextItem, customer: str | None) -> FeedbackCreate:
    body = text.text if len(text.text) <= MAX_TRANSCRIPT else text.text[: MAX_TRANSCRIPT - len(_CUT)] + _CUT
    return FeedbackCreate(
        kind=text.kind,
        source=activity.source,
        external_id=text.external_id,
        channel=activity.channel,
        text=body,
        author=text.author,
        customer_external_id=customer,
        posted_at=text.posted_at or activity.occurred_at,
        metadata={"ticket_id": activity.properties.get("ticket_id"), "event": activity.external_id},
    )
