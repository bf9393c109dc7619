"""The worker's churn jobs: retrain in hour 3 UTC when the model is a week old or missing, score in hour 5 UTC,
nothing in other hours or without a model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from cxloop.churn import tasks
from cxloop.churn.models import ChurnModel, ChurnScore
from cxloop.core.clock import pinned
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database
from tests.factories.churn import NOW, plant_world


@dataclass(frozen=True)
class Runtime:
    database: Database


def _count(db: Database, model: type) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_weekly_training_and_daily_scoring(db: Database) -> None:
    runtime = Runtime(db)
    with pinned(NOW.replace(hour=tasks.SCORE_HOUR)):
        tasks.score_customers(runtime, NoPayload())  # no model yet: nothing to score
    with db.unit_of_work(write=True) as session:
        world = plant_world(session, customers=400, seed=11)
    with pinned(NOW.replace(hour=tasks.TRAIN_HOUR + 1)):
        tasks.train_model(runtime, NoPayload())
    assert _count(db, ChurnModel) == 0
    with pinned(NOW.replace(hour=tasks.TRAIN_HOUR)):
        tasks.train_model(runtime, NoPayload())
    assert _count(db, ChurnModel) == 1
    with pinned(NOW.replace(hour=tasks.TRAIN_HOUR) + timedelta(days=3)):
        tasks.train_model(runtime, NoPayload())  # the model is younger than a week
    assert _count(db, ChurnModel) == 1
    with pinned(NOW.replace(hour=tasks.SCORE_HOUR)):
        tasks.score_customers(runtime, NoPayload())
    assert _count(db, ChurnScore) == len(set(world.customer_ids) - world.churned)
    with pinned(NOW.replace(hour=tasks.TRAIN_HOUR) + timedelta(days=7)):
        tasks.train_model(runtime, NoPayload())
    assert _count(db, ChurnModel) == 2
