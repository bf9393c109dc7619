"""The alerts domain's outbox handlers: rules are evaluated on every stored batch of responses and feedback items
(rules on sentiment or themes once the batch's text enrichment is stored, the others at once), and anomaly rules on
every batch of anomalies the scan stores (within seconds, in the relay's transaction; exactly once per rule and
item, see alerts/models.py `Alert`)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.alerts import service as alerts
from cxloop.alerts.fields import Source
from cxloop.jobs.events import (
    ANOMALY_DETECTED,
    FEEDBACK_ENRICHED,
    FEEDBACK_RECEIVED,
    RESPONSE_ENRICHED,
    RESPONSE_RECEIVED,
)

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


@jobs.on(RESPONSE_ENRICHED, name="alerts.evaluate_response_texts")
def evaluate_response_texts(session: Session, event: jobs.Event[Any]) -> None:
    made = alerts.fire(session, source=Source.response, ids=event.payload.response_ids, analysed=True)
    if made:
        log.info("outbox event %d: %d alerts fired on analysed comments", event.id, len(made))


@jobs.on(FEEDBACK_ENRICHED, name="alerts.evaluate_feedback_texts")
def evaluate_feedback_texts(session: Session, event: jobs.Event[Any]) -> None:
    made = alerts.fire(session, source=Source.feedback, ids=event.payload.feedback_ids, analysed=True)
    if made:
        log.info("outbox event %d: %d alerts fired on analysed feedback", event.id, len(made))


@jobs.on(ANOMALY_DETECTED, name="alerts.evaluate_anomalies")
def evaluate_anomalies(session: Session, event: jobs.Event[Any]) -> None:
    made = alerts.fire(session, source=Source.anomaly, ids=event.payload.anomaly_ids)
    if made:
        log.info("outbox event %d: %d alerts fired on anomalies", event.id, len(made))
