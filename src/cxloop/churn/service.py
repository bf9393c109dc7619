"""Churn risk: train the model on a time-based holdout, score every customer, report (docs/churn.md).

Import it as `from cxloop.churn import service as churn`. Functions take a Session, flush, never commit.

Two snapshots, one horizon H apart: the model is trained on the customers with us at `now - 2H` (label: churned
within H days after it, so every training label is known by the cutoff `now - H`) and evaluated on the customers
with us at the cutoff (label: churned within H days after it, up to today). The stored model is then refitted on both
snapshots, the same recipe with more data; the figures reported are those of the recipe on the later snapshot it did
not see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cxloop.churn import queries, training
from cxloop.churn.features import FEATURES, NAMES
from cxloop.churn.models import ChurnModel, ChurnScore
from cxloop.churn.schemas import (
    Baseline,
    CalibrationBin,
    ChurnCustomerPage,
    ChurnCustomerRead,
    ChurnReport,
    ChurnStatus,
    Factor,
    FeatureWeight,
    Interval,
    Minimum,
    ScoreRun,
    Window,
)
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput, NotFound
from cxloop.customers import service as customers

DEFAULT_HORIZON_DAYS = 90
HORIZON_RANGE = (14, 365)
MIN_CHURNED_IN_TRAINING = 30
MIN_PER_CLASS_IN_HOLDOUT = 10
MINIMUM = Minimum(churned_in_training=MIN_CHURNED_IN_TRAINING, per_class_in_holdout=MIN_PER_CLASS_IN_HOLDOUT)
RULE = "latest NPS answer 0-6 (a detractor) = at risk"


def check_horizon(horizon_days: int) -> None:
    low, high = HORIZON_RANGE
    if not low <= horizon_days <= high:
        raise InvalidInput(
            "the horizon is out of range",
            errors=[FieldError("horizon_days", f"must be between {low} and {high} days, got {horizon_days}")],
        )


@dataclass(frozen=True)
class Trained:
    """A model fitted and evaluated but not stored yet: `params` is None when the data could not support one."""

    report: ChurnReport
    cutoff: date
    params: dict[str, Any] | None


def fit_model(session: Session, *, now: datetime | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS) -> Trained:
    """Read both snapshots, fit and evaluate (reads only: the worker runs it outside the write transaction)."""
    check_horizon(horizon_days)
    today = datetime.combine((now or utcnow()).date(), time(), UTC)
    horizon = timedelta(days=horizon_days)
    cutoff = today - horizon
    churned = queries.churn_dates(session)
    train_set = queries.snapshot(session, at=cutoff - horizon, horizon_days=horizon_days, churned=churned)
    holdout = queries.snapshot(session, at=cutoff, horizon_days=horizon_days, churned=churned)
    assert train_set.y is not None and holdout.y is not None
    windows = (_window(train_set, horizon), _window(holdout, horizon))
    shortfall = _shortfall(*windows)
    if shortfall:
        report = ChurnReport(
            status=ChurnStatus.not_enough_data,
            explanation=shortfall,
            horizon_days=horizon_days,
            minimum=MINIMUM,
            training=windows[0],
            holdout=windows[1],
        )
        return Trained(report, cutoff.date(), None)
    evaluated = training.fit(train_set.x, train_set.y)
    evaluation = training.evaluate(evaluated, holdout.x, holdout.y, base_rate=float(train_set.y.mean()))
    final = training.fit(np.vstack([train_set.x, holdout.x]), np.concatenate([train_set.y, holdout.y]))
    return Trained(_report(evaluation, final, horizon_days, windows), cutoff.date(), final.to_params())


def store_model(session: Session, *, trained: Trained) -> ChurnReport:
    """Store a fitted model and answer its report with its id; nothing is stored for one the data could not support."""
    if trained.params is None:
        return trained.report
    model = ChurnModel(
        trained_at=utcnow(),
        horizon_days=trained.report.horizon_days,
        cutoff=trained.cutoff,
        params=trained.params,
        report={},
    )
    session.add(model)
    session.flush()
    report = trained.report.model_copy(update={"model_id": model.id, "trained_at": model.trained_at})
    model.report = report.model_dump(mode="json")
    session.flush()
    return report


def train(session: Session, *, now: datetime | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS) -> ChurnReport:
    """Train, evaluate on the later snapshot and store the model, in one transaction; with too few churned
    customers, store nothing and answer why (status not_enough_data, with the minimum needed)."""
    return store_model(session, trained=fit_model(session, now=now, horizon_days=horizon_days))


def _window(snap: queries.Snapshot, horizon: timedelta) -> Window:
    assert snap.y is not None
    day = snap.at.date()
    return Window(snapshot=day, ends=day + horizon, customers=len(snap.y), churned=int(snap.y.sum()))


def _shortfall(train_window: Window, holdout: Window) -> str | None:
    """Why these windows cannot support a model, in words with the minimum needed; None when they can."""
    problems = []
    if train_window.churned < MIN_CHURNED_IN_TRAINING:
        problems.append(
            f"{train_window.churned} customers churned in the training window ({train_window.snapshot} to "
            f"{train_window.ends}); the model needs at least {MIN_CHURNED_IN_TRAINING}"
        )
    stayed = holdout.customers - holdout.churned
    if min(holdout.churned, stayed) < MIN_PER_CLASS_IN_HOLDOUT:
        problems.append(
            f"the holdout window ({holdout.snapshot} to {holdout.ends}) has {holdout.churned} churned and {stayed} "
            f"staying customers; an honest evaluation needs at least {MIN_PER_CLASS_IN_HOLDOUT} of each"
        )
    if train_window.customers - train_window.churned < MIN_CHURNED_IN_TRAINING:
        problems.append(f"fewer than {MIN_CHURNED_IN_TRAINING} customers stayed in the training window")
    if not problems:
        return None
    return (
        "No churn model: "
        + "; ".join(problems)
        + ". Record churn outcomes (customers' outcomes of kind 'churned') over a longer history, or train with a "
        "different --horizon-days."
    )


def _interval(estimate: training.Estimate, digits: int = 4) -> Interval:
    return Interval(
        value=round(estimate.value, digits), low=round(estimate.low, digits), high=round(estimate.high, digits)
    )


def _report(
    evaluation: training.Evaluation, final: training.Fitted, horizon_days: int, windows: tuple[Window, Window]
) -> ChurnReport:
    auc, lift = evaluation.auc, evaluation.auc_lift
    if evaluation.better_than_baseline:
        verdict = (
            f"The model ranks churners better than the detractor rule (AUC {auc.value:.2f}, 95% {auc.low:.2f}.."
            f"{auc.high:.2f}; +{lift.value:.2f} over the rule) and its probabilities beat the base rate "
            f"(Brier {evaluation.brier.value:.3f} vs {evaluation.base_rate_brier:.3f})."
        )
    else:
        verdict = (
            f"The model is no better than the baseline: AUC {auc.value:.2f} (95% {auc.low:.2f}..{auc.high:.2f}), "
            f"{lift.value:+.2f} vs the detractor rule (95% {lift.low:+.2f}..{lift.high:+.2f}), Brier "
            f"{evaluation.brier.value:.3f} vs {evaluation.base_rate_brier:.3f} for the base rate. Do not act on its "
            "scores."
        )
    holdout = windows[1]
    explanation = (
        f"Evaluated on {holdout.customers} customers with us on {holdout.snapshot} ({holdout.churned} churned by "
        f"{holdout.ends}), a snapshot the model did not train on. {verdict}"
    )
    weights = sorted(
        (
            FeatureWeight(
                feature=name,
                label=FEATURES[name].label,
                group=FEATURES[name].group.value,
                coefficient=round(float(coef), 4),
                odds_ratio=round(math.exp(float(coef)), 4),
            )
            for name, coef in zip(NAMES, final.coefs, strict=True)
        ),
        key=lambda w: -abs(w.coefficient),
    )
    return ChurnReport(
        status=ChurnStatus.trained,
        explanation=explanation,
        horizon_days=horizon_days,
        minimum=MINIMUM,
        training=windows[0],
        holdout=holdout,
        auc=_interval(evaluation.auc),
        brier=_interval(evaluation.brier),
        baseline=Baseline(
            rule=RULE,
            rule_auc=_interval(evaluation.rule_auc),
            base_rate=round(evaluation.base_rate, 4),
            base_rate_brier=round(evaluation.base_rate_brier, 4),
        ),
        auc_lift=_interval(evaluation.auc_lift),
        brier_skill=_interval(evaluation.brier_skill),
        better_than_baseline=evaluation.better_than_baseline,
        calibration_method=final.calibration["method"],
        calibration=[
            CalibrationBin(
                low=b.low,
                high=b.high,
                n=b.n,
                predicted=b.predicted,
                observed=b.observed,
                observed_low=b.observed_low,
                observed_high=b.observed_high,
                small_sample=b.n < training.BIN_MIN_N,
            )
            for b in evaluation.bins
        ],
        weights=weights,
    )


def latest_model(session: Session) -> ChurnModel | None:
    return session.scalars(select(ChurnModel).order_by(ChurnModel.trained_at.desc(), ChurnModel.id.desc())).first()


def report(session: Session) -> ChurnReport:
    """The latest model's report, or why there is none yet."""
    model = latest_model(session)
    if model is None:
        return ChurnReport(
            status=ChurnStatus.not_trained,
            explanation=(
                "No churn model yet: the worker trains one weekly, `cxloop analyze churn train` now. It needs at "
                f"least {MIN_CHURNED_IN_TRAINING} churned customers in the training window and "
                f"{MIN_PER_CLASS_IN_HOLDOUT} churned and staying customers in the holdout window."
            ),
            horizon_days=DEFAULT_HORIZON_DAYS,
            minimum=MINIMUM,
        )
    return ChurnReport.model_validate(model.report)


@dataclass(frozen=True)
class Scores:
    """Every current customer's probability and top factors, computed but not stored yet."""

    model_id: int
    at: datetime
    rows: list[dict[str, Any]]


def compute_scores(session: Session, *, now: datetime | None = None) -> Scores:
    """Score every current customer with the latest model (reads only); NotFound without a model."""
    model = latest_model(session)
    if model is None:
        raise NotFound("no churn model yet: train one first (`cxloop analyze churn train`)")
    fitted = training.Fitted.from_params(model.params)
    at = now or utcnow()
    snap = queries.snapshot(session, at=at, horizon_days=None, churned=queries.churn_dates(session))
    probabilities = fitted.probabilities(snap.x)
    factors = training.top_factors(fitted, snap.x)
    rows = [
        {
            "customer_id": int(customer_id),
            "model_id": model.id,
            "probability": round(float(p), 6),
            "top_factors": f,
            "scored_at": at,
        }
        for customer_id, p, f in zip(snap.customer_ids, probabilities, factors, strict=True)
    ]
    return Scores(model.id, at, rows)


def store_scores(session: Session, *, scores: Scores) -> ScoreRun:
    """Replace the stored scores with these; a customer erased since they were computed is left out. Segments whose
    filter reads `churn_risk` are recomputed in the same transaction."""
    session.execute(delete(ChurnScore))
    present = queries.existing_customers(session, ids=[r["customer_id"] for r in scores.rows])
    rows = [r for r in scores.rows if r["customer_id"] in present]
    for start in range(0, len(rows), 5_000):
        session.connection().execute(insert(ChurnScore), rows[start : start + 5_000])  # Core: no ORM bookkeeping
    session.flush()
    customers.refresh_scored_segments(session, score="churn_risk")
    return ScoreRun(model_id=scores.model_id, scored=len(rows), scored_at=scores.at)


def score_customers(session: Session, *, now: datetime | None = None) -> ScoreRun:
    """Score every current customer with the latest model and replace the stored scores, in one transaction."""
    return store_scores(session, scores=compute_scores(session, now=now))


def list_customers(
    session: Session, *, min_probability: float = 0.0, limit: int = 50, offset: int = 0
) -> ChurnCustomerPage:
    """The scored customers, highest risk first."""
    model = latest_model(session)
    rows, total = queries.scored_customers(session, min_probability=min_probability, limit=limit, offset=offset)
    items = [_customer_read(r) for r in rows]
    return ChurnCustomerPage(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        model_id=model.id if model else None,
        horizon_days=model.horizon_days if model else None,
    )


def _customer_read(row: Any) -> ChurnCustomerRead:
    return ChurnCustomerRead(
        customer_id=row.customer_id,
        external_id=row.external_id,
        name=row.name,
        probability=row.probability,
        top_factors=[Factor(**f) for f in row.top_factors],
        scored_at=row.scored_at,
    )


def customer_risk(session: Session, *, customer_id: int) -> ChurnCustomerRead | None:
    """One customer's latest churn probability and the factors that raise it most; None when not scored."""
    row = queries.scored_customer(session, customer_id=customer_id)
    return None if row is None else _customer_read(row)


def risk_of(session: Session, *, customer_ids: Sequence[int]) -> dict[int, float]:
    """The stored churn probability of each of these customers that has one."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(ChurnScore.customer_id, ChurnScore.probability).where(ChurnScore.customer_id.in_(list(customer_ids)))
    )
    return {int(c): float(p) for c, p in rows}
