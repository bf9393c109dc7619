"""Fixtures for collection tests: a live survey and helpers to count stored rows and rollups."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cxloop.analytics.models import ScoreRollup
from cxloop.collection.models import FeedbackItem, Response
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.factories.surveys import make_survey


@pytest.fixture
def survey(db: Database) -> Survey:
    """The live 'rnps' survey of tests.factories.surveys (q1 nps required, follow-ups, plan, speed)."""
    return make_survey(db)


def count_responses(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Response)) or 0


def count_feedback(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(FeedbackItem)) or 0


def rollup_total(db: Database, metric: str, dim: str = "all") -> int:
    """How many scores of `metric` the rollups hold (summed over days and scores) for one dimension."""
    with db.unit_of_work() as session:
        total = session.scalar(
            select(func.sum(ScoreRollup.n)).where(ScoreRollup.metric == metric, ScoreRollup.dim == dim)
        )
        return int(total or 0)
