"""Themes' outbox handlers: new response comments and feedback texts get the taxonomy's themes (the rules they match
and the discovered theme whose profile they carry) within seconds, in the relay's transaction. A replay rewrites the
same rows (service.assign_items replaces an item's themes), so it changes nothing."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.jobs.events import FEEDBACK_RECEIVED, RESPONSE_RECEIVED
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import ItemKind

log = logging.getLogger(__name__)


@jobs.on(RESPONSE_RECEIVED, name="text.themes.assign_responses")
def assign_responses(session: Session, event: jobs.Event[Any]) -> None:
    count = themes.assign_items(session, kind=ItemKind.response, ids=event.payload.response_ids)
    log.debug("outbox event %d: %d responses got themes", event.id, count)


@jobs.on(FEEDBACK_RECEIVED, name="text.themes.assign_feedback")
def assign_feedback(session: Session, event: jobs.Event[Any]) -> None:
    count = themes.assign_items(session, kind=ItemKind.feedback, ids=event.payload.feedback_ids)
    log.debug("outbox event %d: %d feedback items got themes", event.id, count)
