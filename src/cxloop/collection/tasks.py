"""The collection domain's outbox handlers for `response.received` and `feedback.received`.

For now they prove the plumbing (a log line per event); enrichment, alert rules and webhooks register their own
handlers for these events in their domains' tasks.py (docs/development/events-and-outbox.md)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.jobs.events import FEEDBACK_RECEIVED, RESPONSE_RECEIVED

log = logging.getLogger(__name__)


@jobs.on(RESPONSE_RECEIVED)
def note_responses_received(session: Session, event: jobs.Event[Any]) -> None:  # noqa: ARG001
    """Log how many responses one stored batch brought."""
    log.info("outbox event %d: %d responses received", event.id, len(event.payload.response_ids))


@jobs.on(FEEDBACK_RECEIVED)
def note_feedback_received(session: Session, event: jobs.Event[Any]) -> None:  # noqa: ARG001
    """Log how many feedback items one stored batch brought."""
    log.info("outbox event %d: %d feedback items received", event.id, len(event.payload.feedback_ids))
