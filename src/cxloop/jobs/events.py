"""The one registry of outbox event names, each with a small pydantic payload schema (ids, never personal data).

A name is checked when it is emitted, so a typo fails in the transaction that made it, not in a worker hours later.
One event carries the ids of a whole batch: ingestion writes 1,000 responses per transaction and one event.
The case, alert, follow-up and verification events are listed here before the features that emit them, so this is
the one place naming every event (webhook subscriptions are checked against it; docs/webhooks.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Ids(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponsesReceived(_Ids):
    response_ids: list[int] = Field(min_length=1)


class FeedbackReceived(_Ids):
    feedback_ids: list[int] = Field(min_length=1)


class CustomersUpdated(_Ids):
    customer_ids: list[int] = Field(min_length=1)


class InvitationsChanged(_Ids):
    invitation_ids: list[int] = Field(min_length=1)


class EmailTestRequested(_Ids):
    """An admin asked for a test email to their own address (channels/email/tasks.py)."""

    user_id: int


class SubscriptionToConfirm(_Ids):
    """An Amazon SNS subscription to confirm: the provider's URL, not personal data (channels/email/tasks.py)."""

    topic_arn: str = Field(min_length=1, max_length=256)
    subscribe_url: str = Field(min_length=1, max_length=2_048)


class CasesChanged(_Ids):
    case_ids: list[int] = Field(min_length=1)


class CaseSlaMissed(_Ids):
    """A warning (before due) or breach of one SLA clock; `lead_user_id` is whom escalation notifies."""

    case_id: int
    clock: str
    team_id: int | None
    owner_user_id: int | None
    lead_user_id: int | None
    due_at: str


class AlertsFired(_Ids):
    alert_ids: list[int] = Field(min_length=1)


class FollowUpsSent(_Ids):
    follow_up_ids: list[int] = Field(min_length=1)


class VerificationsAnswered(_Ids):
    verification_ids: list[int] = Field(min_length=1)


class AnomaliesDetected(_Ids):
    anomaly_ids: list[int] = Field(min_length=1)


class EventCatalog:
    """Event names and their payload schemas. Validated at the door; frozen when the worker starts."""

    def __init__(self) -> None:
        self._schemas: dict[str, type[BaseModel]] = {}
        self._frozen = False

    def register(self, name: str, schema: type[BaseModel]) -> None:
        if self._frozen:
            raise RuntimeError("event names are frozen: register them at startup")
        if not name or name.strip() != name or "." not in name or len(name) > 64:
            raise ValueError(f"an event name is dotted and short, e.g. 'response.received', got {name!r}")
        if name in self._schemas:
            raise ValueError(f"an event named {name!r} is registered already")
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise TypeError(f"the payload schema of {name!r} must be a pydantic model")
        self._schemas[name] = schema

    def freeze(self) -> None:
        self._frozen = True

    def schema(self, name: str) -> type[BaseModel]:
        """The payload schema of `name`; KeyError naming the known events when there is none."""
        try:
            return self._schemas[name]
        except KeyError:
            raise KeyError(f"no event is named {name!r}; known: {', '.join(sorted(self._schemas))}") from None

    def parse(self, name: str, payload: Mapping[str, Any]) -> BaseModel:
        return self.schema(name).model_validate(dict(payload))

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._schemas))


RESPONSE_RECEIVED = "response.received"
FEEDBACK_RECEIVED = "feedback.received"
# The worker's text enrichment (sentiment, key phrases, masked text, themes) of these items is stored: alert rules on
# the text's analysis are evaluated on it (text/enrichment.py; every id of the received batch, analysed or not).
RESPONSE_ENRICHED = "response.enriched"
FEEDBACK_ENRICHED = "feedback.enriched"
CUSTOMER_UPDATED = "customer.updated"
INVITATION_SENT = "invitation.sent"
INVITATION_ANSWERED = "invitation.answered"
INVITATION_SUPPRESSED = "invitation.suppressed"
INVITATION_DELIVERY_FAILED = "invitation.delivery_failed"  # the provider reported the message undelivered
EMAIL_SUBSCRIPTION_CONFIRMATION = "email.subscription_confirmation"  # a signed SNS SubscriptionConfirmation arrived
EMAIL_TEST_REQUESTED = "email.test_requested"  # an admin pressed "send a test email" in Settings · Channels
ALERT_FIRED = "alert.fired"
CASE_CREATED = "case.created"
CASE_UPDATED = "case.updated"
CASE_RESOLVED = "case.resolved"
CASE_CLOSED = "case.closed"
CASE_SLA_WARNING = "case.sla_warning"
CASE_SLA_BREACHED = "case.sla_breached"
FOLLOW_UP_SENT = "follow_up.sent"
VERIFICATION_ANSWERED = "verification.answered"
ANOMALY_DETECTED = "anomaly.detected"  # significant changes found by the anomaly scan (analytics/anomalies.py)
CASE_EVENTS = (CASE_CREATED, CASE_UPDATED, CASE_SLA_WARNING, CASE_SLA_BREACHED, CASE_RESOLVED, CASE_CLOSED)
# What a webhook or Slack destination may subscribe to (notifications; docs/webhooks.md documents each payload).
NOTIFIABLE = (
    RESPONSE_RECEIVED,
    FEEDBACK_RECEIVED,
    ALERT_FIRED,
    *CASE_EVENTS,
    FOLLOW_UP_SENT,
    VERIFICATION_ANSWERED,
    ANOMALY_DETECTED,
)

catalog = EventCatalog()
catalog.register(RESPONSE_RECEIVED, ResponsesReceived)
catalog.register(FEEDBACK_RECEIVED, FeedbackReceived)
catalog.register(RESPONSE_ENRICHED, ResponsesReceived)
catalog.register(FEEDBACK_ENRICHED, FeedbackReceived)
catalog.register(CUSTOMER_UPDATED, CustomersUpdated)
catalog.register(EMAIL_SUBSCRIPTION_CONFIRMATION, SubscriptionToConfirm)
catalog.register(EMAIL_TEST_REQUESTED, EmailTestRequested)
for _name in (INVITATION_SENT, INVITATION_ANSWERED, INVITATION_SUPPRESSED, INVITATION_DELIVERY_FAILED):
    catalog.register(_name, InvitationsChanged)
for _name in (CASE_CREATED, CASE_UPDATED, CASE_RESOLVED, CASE_CLOSED):
    catalog.register(_name, CasesChanged)
for _name in (CASE_SLA_WARNING, CASE_SLA_BREACHED):
    catalog.register(_name, CaseSlaMissed)
catalog.register(ALERT_FIRED, AlertsFired)
catalog.register(FOLLOW_UP_SENT, FollowUpsSent)
catalog.register(VERIFICATION_ANSWERED, VerificationsAnswered)
catalog.register(ANOMALY_DETECTED, AnomaliesDetected)
