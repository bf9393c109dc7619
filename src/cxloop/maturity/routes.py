"""GET /api/v1/analytics/maturity (docs/analytics.md "Maturity"): viewers read."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.access.deps import ViewerDep
from cxloop.maturity import service as maturity
from cxloop.maturity.schemas import MaturityRead
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["analytics"])


@router.get("/analytics/maturity", response_model=MaturityRead)
def get_maturity(session: SessionDep, _: ViewerDep) -> MaturityRead:
    """Listen, understand and act scored 1-5 from the last 90 days of use, each with its evidence (counts, and shares
    with n and 95% intervals) and the next concrete step."""
    return maturity.assess(session)
