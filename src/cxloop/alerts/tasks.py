"""The alerts domain's outbox handlers: rules are evaluated on every stored batch of responses and feedback items,
and anomaly rules on every batch of anomalies the scan stores (within seconds, in the relay's transaction; exactly
once per rule and item, see alerts/models.py `Alert`)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.alerts import service as alerts
from cxloop.alerts.fields import Source
from cxloop.jobs.events import ANOMALY_DETECTED, FEEDBACK_RECEIVED, RESPONSE_RECEIVED

log = logging.getLogger(__name__)


@jobs.on(RESPONSE_RECEIVED, name="alerts.evaluate_responses")
def evaluate_responses(session: Session, event: jobs.Event[Any]) -> None:
    made = alerts.fire(session, source=Source.response, ids=event.payload.response_ids)
    if made:
        log.info("outbox event %d: %d alerts fired", event.id, len(made))


@jobs.on(FEEDBACK_RECEIVED, name="alerts.evaluate_feedback")
def evaluate_feedback(session: Session, event: jobs.Event[Any]) -> None:
    made = alerts.fire(session, source=Source.feedback, ids=event.payload.feedback_ids)
    if made:
        log.info("outbox event %d: %d alerts fired", event.id, len(made))


@jobs.on(ANOMALY_DETECTED, name="alerts.evaluate_anomalies")
def evaluate_anomalies(session: Session, event: jobs.Event[Any]) -> None:
    made = alerts.fire(session, source=Source.anomaly, ids=event.payload.anomaly_ids)
    if made:
        log.info("outbox event %d: %d alerts fired on anomalies", event.id, len(made))
