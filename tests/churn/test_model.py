"""The churn model end to end on both databases: a planted pattern is found on the later snapshot and named as the
customers' top factor, random labels are reported as no better than the baseline, too few churned customers train
nothing and say what is needed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cxloop.churn import privacy as churn_privacy
from cxloop.churn import service as churn
from cxloop.churn.models import ChurnModel
from cxloop.churn.schemas import ChurnStatus
from cxloop.core.errors import InvalidInput
from cxloop.storage.database import Database
from tests.factories.churn import NOW, plant_world

PATTERN = {"detractors_recent", "nps_last", "tickets_recent"}


def test_a_planted_pattern_is_found_on_the_holdout_and_named(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        world = plant_world(session)
        report = churn.train(session, now=NOW)
        run = churn.score_customers(session, now=NOW)
    assert report.status == ChurnStatus.trained, report.explanation
    assert report.auc is not None and report.brier is not None and report.baseline is not None
    assert report.auc.low > 0.6, report.auc
    assert report.better_than_baseline is True, report.explanation
    assert report.auc.value > report.baseline.rule_auc.value
    assert report.training is not None and report.holdout is not None
    assert report.training.ends == report.holdout.snapshot  # every training label is known by the cutoff
    assert report.holdout.ends == NOW.date()
    assert {w.feature for w in report.weights[:2]} <= PATTERN
    assert len(report.calibration) == 10
    assert sum(b.n for b in report.calibration) == report.holdout.customers
    assert "did not train on" in report.explanation
    staying = set(world.customer_ids) - world.churned
    assert run.scored == len(staying)
    with db.unit_of_work() as session:
        page = churn.list_customers(session, limit=50)
        stored = churn.report(session)
    assert stored.model_id == report.model_id and stored.auc == report.auc
    probabilities = [item.probability for item in page.items]
    assert probabilities == sorted(probabilities, reverse=True)
    risky = [item for item in page.items if item.customer_id in world.risky]
    assert len(risky) > 40  # the top 50 are nearly all detractors with many tickets
    assert all(item.top_factors[0].feature in PATTERN for item in risky)
    assert page.total == run.scored and page.model_id == report.model_id


def test_random_labels_are_no_better_than_the_baseline(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        plant_world(session, churn_rate=0.15, seed=8)
        report = churn.train(session, now=NOW)
    assert report.status == ChurnStatus.trained, report.explanation
    assert report.auc is not None and 0.4 < report.auc.value < 0.6
    assert report.auc.low < 0.5 < report.auc.high
    assert report.better_than_baseline is False
    assert "no better than the baseline" in report.explanation


def test_too_few_churned_customers_train_nothing_and_say_what_is_needed(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        plant_world(session, customers=150, churn_rate=0.05, seed=9)
        report = churn.train(session, now=NOW)
    assert report.status == ChurnStatus.not_enough_data
    assert "needs at least 30" in report.explanation and "at least 10 of each" in report.explanation
    assert report.minimum.churned_in_training == 30 and report.minimum.per_class_in_holdout == 10
    assert report.auc is None and report.training is not None and report.training.churned < 30
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ChurnModel)) == 0
        assert churn.report(session).status == ChurnStatus.not_trained
        with pytest.raises(Exception, match="no churn model yet"):
            churn.score_customers(session, now=NOW)


def test_a_horizon_out_of_range_is_refused_by_name(db: Database) -> None:
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as caught:
        churn.train(session, now=NOW, horizon_days=7)
    assert caught.value.errors[0].field == "horizon_days"


def test_a_customers_score_is_in_their_access_export_and_goes_with_erasure(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        plant_world(session, customers=400, seed=10)
        assert churn.train(session, now=NOW).status == ChurnStatus.trained
        churn.score_customers(session, now=NOW)
        customer_id = churn.list_customers(session, limit=1).items[0].customer_id
        exported = churn_privacy.export_customer_data(session, customer_id=customer_id)["churn_scores"]
        assert len(exported) == 1 and exported[0]["top_factors"]
        assert churn_privacy.erase_customer_data(session, customer_id=customer_id) == {"churn_scores": 1}
        assert churn.risk_of(session, customer_ids=[customer_id]) == {}
