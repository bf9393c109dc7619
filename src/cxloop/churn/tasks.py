"""The churn domain's jobs: retrain the model weekly, score every customer daily (docs/churn.md)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from cxloop import jobs
from cxloop.churn import service as churn
from cxloop.churn.schemas import ChurnStatus
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

TRAIN_JOB = "churn.train"
SCORE_JOB = "churn.score"
TRAIN_HOUR = 3  # UTC, on Mondays (or any day while no model is younger than a week): after the day's imports
SCORE_HOUR = 5  # UTC, daily: after the anomaly scan (analytics/tasks.py, hour 4)
RETRAIN_AFTER = timedelta(days=7)


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(TRAIN_JOB, minutes=60)
def train_model(runtime: Runtime, _: NoPayload) -> None:
    """Weekly, in hour TRAIN_HOUR UTC: train and store a new model when the latest is a week old (or missing)."""
    now = utcnow()
    if now.hour != TRAIN_HOUR:
        return
    with runtime.database.unit_of_work() as session:  # the slow part reads only: no write lock held meanwhile
        latest = churn.latest_model(session)
        if latest is not None and now - latest.trained_at < RETRAIN_AFTER:
            return
        trained = churn.fit_model(session, now=now)
    with runtime.database.unit_of_work(write=True) as session:
        report = churn.store_model(session, trained=trained)
    if report.status == ChurnStatus.trained:
        log.info("churn model %s trained: %s", report.model_id, report.explanation)
    else:
        log.info("churn model not trained: %s", report.explanation)


@jobs.periodic(SCORE_JOB, minutes=60)
def score_customers(runtime: Runtime, _: NoPayload) -> None:
    """Daily, in hour SCORE_HOUR UTC: score every customer with the latest model (nothing to do without one)."""
    if utcnow().hour != SCORE_HOUR:
        return
    with runtime.database.unit_of_work() as session:
        if churn.latest_model(session) is None:
            return
        scores = churn.compute_scores(session)
    with runtime.database.unit_of_work(write=True) as session:
        run = churn.store_scores(session, scores=scores)
    log.info("churn scores: %d customers scored by model %d", run.scored, run.model_id)
