"""The email channel's jobs: confirming an Amazon SNS subscription after its signed SubscriptionConfirmation, and
sending the test email an admin asked for in the settings.

The outbox handler only queues the job when its transaction commits; the job makes the GET with no transaction
open (docs/development/events-and-outbox.md). Should the queueing be lost, `cxloop outbox replay <event id>` (or
SNS's "Request confirmation") brings it again.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.channels.email import subscriptions, test_email
from cxloop.core.config import Settings
from cxloop.jobs import dispatch
from cxloop.jobs.events import (
    EMAIL_SUBSCRIPTION_CONFIRMATION,
    EMAIL_TEST_REQUESTED,
    EmailTestRequested,
    SubscriptionToConfirm,
)
from cxloop.storage.database import Database

CONFIRM_JOB = "email.confirm_subscription"
TEST_JOB = "email.send_test"


class Runtime(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def database(self) -> Database: ...


@jobs.on(EMAIL_SUBSCRIPTION_CONFIRMATION, name="email.queue_subscription_confirmation")
def queue_subscription_confirmation(session: Session, event: jobs.Event[Any]) -> None:
    """Queue the confirmation request for when this transaction commits."""
    dispatch.after_commit(session, CONFIRM_JOB, event.payload.model_dump())


@jobs.handler(CONFIRM_JOB, SubscriptionToConfirm)
def confirm_subscription(runtime: Runtime, payload: SubscriptionToConfirm) -> None:
    """GET the SubscribeURL of a signed SNS SubscriptionConfirmation."""
    subscriptions.confirm(
        payload.subscribe_url, topic_arn=payload.topic_arn, url_pattern=runtime.settings.ses_sns_url_pattern
    )


@jobs.on(EMAIL_TEST_REQUESTED, name="email.queue_test_email")
def queue_test_email(session: Session, event: jobs.Event[Any]) -> None:
    """Queue the test email for when this transaction commits (SMTP never runs inside the relay's transaction)."""
    dispatch.after_commit(session, TEST_JOB, event.payload.model_dump())


@jobs.handler(TEST_JOB, EmailTestRequested)
def send_test_email(runtime: Runtime, payload: EmailTestRequested) -> None:
    """Send the test email through the effective SMTP settings and record the outcome."""
    test_email.send(runtime.database, runtime.settings, user_id=payload.user_id)
