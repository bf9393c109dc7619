"""Churn, revenue at risk and lifetime value by score band (analytics/outcomes/business.py) on both databases: a
planted effect is found with an interval that excludes "no effect", a null world shows none, and too few churned
customers answer with the minimum needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cxloop.analytics.outcomes import business
from cxloop.core.errors import InvalidInput
from cxloop.customers import service as customers
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.schemas import AccountUpsert, OutcomeCreate
from cxloop.storage.database import Database
from tests.factories.responses import Scored, add_customers, add_scored, add_segment, add_survey

TODAY = date(2026, 11, 30)
SCORED_AT = datetime(2026, 4, 1, 10, tzinfo=UTC)  # before the 180-day window ending TODAY


def _world(db: Database, *, detractor_churn: int, promoter_churn: int, n: int = 150) -> None:
    """n detractors and n promoters (customers c0.. / c1000..) in segment "smb" and "enterprise"; the first
    `*_churn` of each band churn inside the window; every customer has revenue 100 and lifetime value by band."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        detractors = add_customers(session, n)
        promoters = add_customers(session, n, start=1000)
        add_segment(session, "smb", detractors[: n // 2] + promoters[: n // 2], name="SMB")
        add_segment(session, "enterprise", detractors[n // 2 :] + promoters[n // 2 :], name="Enterprise")
        add_scored(session, [Scored(SCORED_AT, survey, c, nps=2) for c in detractors])
        add_scored(session, [Scored(SCORED_AT, survey, c, nps=10) for c in promoters])
        # An older promoter answer of a detractor: only the latest score counts.
        add_scored(session, [Scored(SCORED_AT - timedelta(days=30), survey, detractors[0], nps=10)])
        items = []
        for band, start, churners, value in (("d", 0, detractor_churn, 800), ("p", 1000, promoter_churn, 2000)):
            for i in range(n):
                external = f"c{start + i}"
                items.append(
                    OutcomeCreate(
                        customer_external_id=external,
                        kind=OutcomeKind.revenue,
                        value=Decimal(100),
                        occurred_on=date(2026, 3, 1),
                    )
                )
                items.append(
                    OutcomeCreate(
                        customer_external_id=external,
                        kind=OutcomeKind.lifetime_value,
                        value=Decimal(value + i % 7),
                        occurred_on=date(2026, 10, 1),
                    )
                )
                if i < churners:
                    items.append(
                        OutcomeCreate(
                            customer_external_id=external,
                            kind=OutcomeKind.churned,
                            occurred_on=date(2026, 9, 1),
                            note=band,
                        )
                    )
        customers.record_outcomes(session, items=items)


def test_detractors_churning_three_times_as_often_are_found(db: Database) -> None:
    _world(db, detractor_churn=45, promoter_churn=15)
    with db.unit_of_work() as session:
        result = business.analyse(session, metric="nps", end=TODAY)
    assert result.ready and result.customers == 300 and result.churned == 60
    overall = result.churn[0]
    assert overall.scope == "all customers"
    detractors, passives, promoters = overall.bands
    assert (detractors.churn.events, detractors.churn.n) == (45, 150)
    assert passives.churn.n == 0
    assert promoters.churn.pct == pytest.approx(10.0)
    assert overall.ratio is not None and overall.ratio.value == pytest.approx(3.0)
    assert overall.ratio.ci_low > 1 and overall.ratio.significant
    assert any("all customers" in f and "3.0x" in f for f in result.findings)
    risk = result.revenue_at_risk
    assert risk is not None and risk.band == "detractor" and risk.basis == "revenue"
    assert risk.revenue == pytest.approx(15_000) and "150 detractors hold 15,000" in risk.explanation
    assert risk.at_risk == pytest.approx(4_500)
    assert risk.at_risk_low is not None and risk.at_risk_low < 4_500 < (risk.at_risk_high or 0)
    assert risk.excess_over_best == pytest.approx(3_000)
    values = {(v.scope, v.band): v.value for v in result.lifetime_value}
    assert values[("all customers", "promoter")].mean == pytest.approx(2003, abs=0.5)
    assert values[("all customers", "detractor")].n == 150
    assert ("SMB", "detractor") in values


def test_a_null_world_shows_no_effect(db: Database) -> None:
    _world(db, detractor_churn=22, promoter_churn=22)
    with db.unit_of_work() as session:
        result = business.analyse(session, metric="nps", end=TODAY)
    assert result.ready
    assert all(row.ratio is None or not row.ratio.significant for row in result.churn)
    assert result.findings == []
    assert result.churn[0].ratio is not None and result.churn[0].ratio.ci_low < 1 < result.churn[0].ratio.ci_high


def test_one_segment_and_the_minimum_per_band(db: Database) -> None:
    _world(db, detractor_churn=45, promoter_churn=15)
    with db.unit_of_work() as session:
        result = business.analyse(session, metric="nps", segment="smb", end=TODAY)
    assert [row.scope for row in result.churn] == ["SMB"]
    assert result.churn[0].bands[0].churn.n == 75
    assert {v.scope for v in result.lifetime_value} == {"SMB"}


def test_too_few_churned_customers_say_what_is_needed(db: Database) -> None:
    _world(db, detractor_churn=3, promoter_churn=2)
    with db.unit_of_work() as session:
        result = business.analyse(session, metric="nps", end=TODAY)
    assert not result.ready and result.churn == [] and result.revenue_at_risk is None
    assert "5 of 300" in result.explanation and f"at least {business.MIN_CHURNED}" in result.explanation


def test_bad_input_names_the_field(db: Database) -> None:
    with db.unit_of_work() as session:
        for kwargs, field in (
            ({"metric": "mood"}, "metric"),
            ({"segment": "nope"}, "segment"),
            ({"window_days": 2}, "window_days"),
        ):
            with pytest.raises(InvalidInput) as caught:
                business.analyse(session, **kwargs)  # type: ignore[arg-type]
            assert caught.value.errors[0].field == field


def test_an_accounts_churn_is_its_customers_churn_and_earlier_churn_leaves_them_out(db: Database) -> None:
    """12 CSAT-unsatisfied customers of one account that churns in the window, 12 satisfied ones without an
    account; one customer churned before the window and is not counted, and so is an account with no scored
    customers (so customers without an account meet a non-empty list of accounts that churned before)."""
    with db.unit_of_work() as session:
        survey = add_survey(session)
        account, _ = customers.upsert_accounts(
            session,
            items=[AccountUpsert(external_id="acme", name="Acme"), AccountUpsert(external_id="gone", name="Gone")],
        )
        unhappy = add_customers(session, 12, accounts=[account])
        happy = add_customers(session, 13, start=100)
        add_scored(session, [Scored(SCORED_AT, survey, c, csat=1) for c in unhappy])
        add_scored(session, [Scored(SCORED_AT, survey, c, csat=5) for c in happy])
        customers.record_outcomes(
            session,
            items=[
                OutcomeCreate(account_external_id="acme", kind=OutcomeKind.churned, occurred_on=date(2026, 8, 1)),
                OutcomeCreate(customer_external_id="c112", kind=OutcomeKind.churned, occurred_on=date(2026, 1, 1)),
                OutcomeCreate(account_external_id="gone", kind=OutcomeKind.churned, occurred_on=date(2026, 1, 1)),
            ],
        )
        result = business.analyse(session, metric="csat", end=TODAY)
    assert result.ready and (result.customers, result.churned) == (24, 12)
    unsatisfied, _, satisfied = result.churn[0].bands
    assert (unsatisfied.band, unsatisfied.churn.events, unsatisfied.churn.n) == ("unsatisfied", 12, 12)
    assert (satisfied.churn.events, satisfied.churn.n) == (0, 12)
    assert result.churn[0].ratio is None and "at least 30" in result.churn[0].explanation  # bands below min n
    risk = result.revenue_at_risk
    assert risk is not None and risk.basis is None and "No revenue or lifetime value" in risk.explanation
