"""/api/v1/analytics/churn (the model's holdout report) and /api/v1/analytics/churn/customers (highest risk first):
viewers read (docs/churn.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cxloop.access.deps import ViewerDep
from cxloop.churn import service as churn
from cxloop.churn.schemas import ChurnCustomerPage, ChurnReport
from cxloop.core.int_bounds import Count, Limit
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/analytics/churn", tags=["analytics"])


@router.get("", response_model=ChurnReport)
def churn_report(session: SessionDep, _: ViewerDep) -> ChurnReport:
    """The latest churn model's evaluation on a later snapshot it did not train on (AUC, Brier score, calibration
    table, each with its 95% interval, against the detractor rule and the base rate), or why there is no model and
    the minimum it needs."""
    return churn.report(session)


@router.get("/customers", response_model=ChurnCustomerPage)
def churn_customers(
    session: SessionDep,
    _: ViewerDep,
    min_probability: Annotated[float, Query(ge=0, le=1, description="Only customers at or above this risk.")] = 0.0,
    limit: Limit = 50,
    offset: Count = 0,
) -> ChurnCustomerPage:
    """Customers by their latest churn probability (scored daily), highest first, with the factors raising each."""
    return churn.list_customers(session, min_probability=min_probability, limit=limit, offset=offset)
