"""The text domain's outbox handlers (enrich new comments and feedback, themes included, within seconds of their
arrival: text/enrichment.py) and its hourly job that re-learns the sentiment model when it is due (weekly, or early
when enough new scored comments came)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.jobs import NoPayload
from cxloop.jobs.events import FEEDBACK_RECEIVED, RESPONSE_RECEIVED
from cxloop.storage.database import Database
from cxloop.text import enrichment
from cxloop.text import service as text
from cxloop.text.enums import ItemKind

log = logging.getLogger(__name__)

LEARN_JOB = "text.learn_when_due"


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def settings(self) -> Settings: ...


def prepare_responses(database: Database, event: jobs.Event[Any]) -> enrichment.Enriched:
    return enrichment.prepare(database, kind=ItemKind.response, ids=event.payload.response_ids, attempt=event.attempt)


def prepare_feedback(database: Database, event: jobs.Event[Any]) -> enrichment.Enriched:
    return enrichment.prepare(database, kind=ItemKind.feedback, ids=event.payload.feedback_ids, attempt=event.attempt)


# Analysing and matching themes (MiniLM encodes a few hundred comments a second) is the prepare step, with no
# transaction open; the handler only stores, re-checking the items in its short write transaction, and emits the
# enriched event that alert rules on sentiment and themes wait for.
@jobs.on(RESPONSE_RECEIVED, prepare=prepare_responses)  # registered as "text.enrich_responses": keep the name stable
def enrich_responses(session: Session, event: jobs.Event[Any]) -> None:
    """Language, sentiment, key phrases, masked text and themes of the new responses' comments."""
    enrichment.store(session, event.prepared)


@jobs.on(FEEDBACK_RECEIVED, prepare=prepare_feedback)  # registered as "text.enrich_feedback"
def enrich_feedback(session: Session, event: jobs.Event[Any]) -> None:
    """The same for new feedback items."""
    enrichment.store(session, event.prepared)


@jobs.periodic(LEARN_JOB, minutes=60)
def learn_when_due(runtime: Runtime, _: NoPayload) -> None:
    """Fit the sentiment model when due, then re-score in batches of their own transactions."""
    with runtime.database.unit_of_work() as session:
        if not text.should_learn(session, now=utcnow()):
            return
        texts, labels = text.training_set(session)
    fitted = text.fit(texts, labels, embeddings=runtime.settings.sentiment_embeddings)
    with runtime.database.unit_of_work(write=True) as session:
        result = text.store_fit(session, result=fitted)
    model = result.model
    log.info(
        "sentiment model %d: macro-F1 %.3f learned (TF-IDF), %s on MiniLM, %.3f day one; in use: %s",
        model.version,
        model.f1_learned,
        "-" if model.f1_minilm is None else f"{model.f1_minilm:.3f}",
        model.f1_day_one,
        result.in_use,
    )
    text.rescore(runtime.database)
