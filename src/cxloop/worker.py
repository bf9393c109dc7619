"""The worker process's composition root: imports every domain's tasks.py (which register their jobs and outbox
handlers with `cxloop.jobs`), builds the runtime they share, the Huey queue that runs the jobs, and the outbox relay.

Composition level (beside cxloop.app): it may import every domain and the channels. `cxloop worker` runs the queue's
consumer and the relay thread. The jobs are listed in triggers/tasks.py and customers/tasks.py; the outbox in
docs/development/events-and-outbox.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from cxloop.alerts import tasks as alerts_tasks
from cxloop.analytics import tasks as analytics_tasks
from cxloop.cases import tasks as cases_tasks
from cxloop.cases import verification_tasks
from cxloop.channels import delivery, follow_up_tasks
from cxloop.channels.configuration import service as configuration
from cxloop.channels.email import smtp
from cxloop.channels.email import tasks as email_tasks
from cxloop.churn import tasks as churn_tasks
from cxloop.collection import tasks as collection_tasks
from cxloop.core.config import Settings
from cxloop.customers import tasks as customers_tasks
from cxloop.invitations import tasks as invitations_tasks
from cxloop.invitations.tokens import TokenSigner
from cxloop.jobs import event_handlers, queued
from cxloop.jobs import tasks as jobs_tasks
from cxloop.jobs.queue import DEFAULT_NAME, JobQueue, build_huey
from cxloop.jobs.registry import NoPayload
from cxloop.jobs.relay import Relay, RelayPolicy
from cxloop.notifications import tasks as notifications_tasks
from cxloop.notifications.posting import Answer
from cxloop.notifications.sender import SendEmail, Sender, SendPolicy
from cxloop.precomputed import tasks as precomputed_tasks
from cxloop.privacy import tasks as privacy_tasks
from cxloop.storage.database import Database, database_for
from cxloop.text import tasks as text_tasks
from cxloop.text.themes import tasks as themes_tasks
from cxloop.triggers import tasks as triggers_tasks
from cxloop.triggers.tasks import Deliver

TASK_MODULES = (
    alerts_tasks,
    analytics_tasks,
    cases_tasks,
    churn_tasks,
    collection_tasks,
    customers_tasks,
    email_tasks,
    follow_up_tasks,
    invitations_tasks,
    jobs_tasks,
    notifications_tasks,
    precomputed_tasks,
    privacy_tasks,
    text_tasks,
    themes_tasks,
    triggers_tasks,
    verification_tasks,
)
jobs = queued

__all__ = ["TASK_MODULES", "NoPayload", "Runtime", "build", "build_relay", "build_sender", "jobs"]


@dataclass(frozen=True)
class Runtime:
    """What every job gets: the settings, the database, the token signer and the channel sender (with the
    exception it raises for a temporary failure)."""

    settings: Settings
    database: Database
    signer: TokenSigner
    deliver: Deliver
    postponed: type[Exception] = delivery.DeliveryPostponed


def build(
    settings: Settings,
    *,
    database: Database | None = None,
    queue_name: str = DEFAULT_NAME,
    deliver: Deliver = delivery.deliver,
) -> JobQueue:
    """A queue that runs cxloop's jobs on `database` (default: the settings' database)."""
    runtime = Runtime(
        settings=settings,
        database=database or database_for(settings),
        signer=TokenSigner.of(settings),
        deliver=deliver,
    )
    queue = JobQueue(build_huey(settings, name=queue_name))
    queue.serve(jobs, runtime)
    return queue


def build_relay(
    database: Database, *, policy: RelayPolicy | None = None, after_commit: Callable[[], None] | None = None
) -> Relay:
    """The outbox relay over every domain's handlers (the registry is frozen from here on)."""
    return Relay(database, event_handlers, policy, after_commit=after_commit)


def build_sender(settings: Settings, database: Database, *, policy: SendPolicy | None = None) -> Sender:
    """The notifications sender: webhook, Slack and email messages to their destinations (docs/webhooks.md)."""
    send_email = email_sender(settings, database)
    return Sender(database, public_url=settings.public_url, policy=policy, send_email=send_email)


def email_sender(settings: Settings, database: Database) -> SendEmail:
    """Notification emails through the installation's SMTP server (the email channel's transport), as configured
    when each is sent (an admin's settings over the environment's). A 5xx refusal is final; anything else,
    a missing SMTP server included, is retried."""

    def send(to: str, subject: str, text: str, html: str | None) -> Answer:
        with database.unit_of_work() as session:
            config = configuration.effective(session, settings)
        if not config.smtp_url:
            return Answer(False, error="email is not configured: set CXLOOP_SMTP_URL")
        try:
            target = smtp.parse_smtp_url(config.smtp_url)
        except ValueError as exc:
            return Answer(False, error=str(exc))
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = config.email_from, to, subject
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        try:
            smtp.send(target, message)
        except smtp.MailRejected as exc:
            return Answer(False, error=str(exc), permanent=True)
        except smtp.MailUnavailable as exc:
            return Answer(False, error=str(exc))
        return Answer(True)

    return send
