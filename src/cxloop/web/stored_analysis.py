"""How the slow analysis pages (themes, drivers, outcomes and its panels, maturity, the dashboard's themes card, the
overview's panels within filters the rollups cannot answer, the journey map's top themes) read their analysis: the
stored result of cxloop.precomputed with its time, or a panel saying it is being computed that HTMX polls until it
is there; and the analysts' "refresh now" button.

    found = stored_analysis.load(request, session, registry.DRIVERS, params)  # Stored: .value None while computing

The rule (precomputed/service.py): a small organisation, or one without a worker, is computed in the request and
stored; a large one with a worker never is: its page shows the last result and the worker refreshes it.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.branding.current import load_brand
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.core.int_bounds import Id
from cxloop.precomputed import service as precomputed
from cxloop.precomputed.registry import ANALYSES, Analysis
from cxloop.precomputed.service import Stored
from cxloop.storage.deps import SessionDep, get_database
from cxloop.web.auth import AnalystPage, require_csrf
from cxloop.web.filters import BadFilter

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
R = TypeVar("R")
# Where "refresh now" may send the analyst back to: the pages that show a stored analysis.
BACK_PREFIXES = ("/themes", "/insights/", "/dashboards/", "/journey", "/?")  # "/?": the filtered overview


def load(request: Request, session: Session, analysis: Analysis[Any, R], params: Any) -> Stored[R]:
    """The analysis' stored result for `params`: computed here when the organisation is small or no worker runs
    (and stored), else the stored one, its computation queued when there is none. A stored InvalidInput of the
    parameters raises BadFilter (a 4xx naming the field)."""
    settings: Settings = request.app.state.settings
    database = get_database(request)
    now = utcnow()
    row = precomputed.find(session, analysis, params)
    if precomputed.computes_inline(session, inline_up_to=settings.precompute_above, now=now):
        stamp = precomputed.current_stamp(session, now=now)
        if row is None or not precomputed.is_fresh(analysis, row, stamp=stamp, now=now):
            computed = precomputed.compute(session, analysis, params, now=now, stamp=stamp)
            with database.unit_of_work(write=True) as writing:
                row = precomputed.store(writing, analysis, params, computed, now=now)
                found = Stored(row.id, computed.value, now, computed.seconds, False, precomputed.error_of(row))
            return _checked(found)
    if row is None or precomputed.wants_request(row, now=now):
        with database.unit_of_work(write=True) as writing:
            return _checked(precomputed.shown(analysis, precomputed.request(writing, analysis, params, now=now)))
    return _checked(precomputed.shown(analysis, row))


def _checked(found: Stored[R]) -> Stored[R]:
    if found.error:
        raise BadFilter(found.error["field"], found.error["message"])
    return found


@router.post(
    "/analyses/{result_id:int}/refresh",
    dependencies=[Depends(require_csrf)],
    **body_cap("POST /analyses/{result_id:int}/refresh"),
)
def refresh(
    request: Request,
    session: SessionDep,
    _: AnalystPage,
    result_id: Id,
    back: Annotated[str, Form(max_length=2000)] = "/themes",
) -> Response:
    """Compute a stored analysis again: at once when the page would compute it inline, else queued for the worker
    (the page shows "updating…" until it is done). Back to the page it was asked from."""
    if not back.startswith(BACK_PREFIXES) or "//" in back or "\\" in back:
        raise BadFilter("back", "not a page of this site that shows an analysis")
    settings: Settings = request.app.state.settings
    now = utcnow()
    row = precomputed.get_result(session, result_id=result_id)
    if row is None or row.analysis not in ANALYSES:
        raise BadFilter("result_id", f"no stored analysis has the id {result_id}")
    analysis = ANALYSES[row.analysis]
    params = analysis.parse(row.params)
    if precomputed.computes_inline(session, inline_up_to=settings.precompute_above, now=now):
        precomputed.store(session, analysis, params, precomputed.compute(session, analysis, params, now=now), now=now)
    else:
        precomputed.request(session, analysis, params, now=now, refresh=True)
    return RedirectResponse(back, status_code=303)
