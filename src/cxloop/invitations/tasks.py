"""The invitations domain's outbox handlers for `invitation.sent|answered|suppressed` (a log line each, proving the
plumbing; later issues react here, e.g. counting fatigue or closing the loop on an answer)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.jobs.events import INVITATION_ANSWERED, INVITATION_SENT, INVITATION_SUPPRESSED

log = logging.getLogger(__name__)


def _note(session: Session, event: jobs.Event[Any]) -> None:  # noqa: ARG001
    log.info("outbox event %d (%s): invitations %s", event.id, event.name, event.payload.invitation_ids)


note_invitations_sent = jobs.on(INVITATION_SENT, name="invitations.note_sent")(_note)
note_invitations_answered = jobs.on(INVITATION_ANSWERED, name="invitations.note_answered")(_note)
note_invitations_suppressed = jobs.on(INVITATION_SUPPRESSED, name="invitations.note_suppressed")(_note)
