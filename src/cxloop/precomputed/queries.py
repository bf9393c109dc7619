"""The data stamp: a few cheap aggregates over the tables the precomputed analyses read, so that a stored result
computed over another stamp is known to be stale.

Each part is exact for what it watches. `max(id)` with `count(*)` sees every insert and every delete of an
append-mostly table (an insert raises the max; a delete lowers the count; a delete and an insert between two
sweeps raise the max). `max(updated_at)` sees edits of the tables that keep it (themes, customers, segments and
their refreshed membership); every change of a case writes a row of its activity. Rows edited in place without
either (responses and feedback anonymised or removed by an erasure) are covered by the erasure record each
erasure writes. The UTC day is part of the stamp, since the analyses' default windows end today. What this stamp
does not watch (survey, alert-rule, target, experiment and trigger settings, which only the maturity assessment
reads) is covered by each analysis' `max_age` (registry.py).

Costs, measured at 1M responses (docs/benchmarks.md): the counts are index scans (tens of ms on SQLite); the
stamp is computed once per sweep, and on a page only when it computes inline (service.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.cases.models import Case, CaseActivity
from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.models import Customer, Event, Outcome, Segment
from cxloop.privacy.models import ErasureRecord
from cxloop.text.models import TextAnalysis
from cxloop.text.themes.models import Theme, ThemeAssignment

_COUNTED = (Response, FeedbackItem, TextAnalysis, ThemeAssignment, Theme, Customer, Outcome)
_HIGHEST_ID = (Response, FeedbackItem, TextAnalysis, ThemeAssignment, Customer, Event, Outcome, Case, CaseActivity)
_LATEST_EDIT = (
    ("text_themes.updated_at", func.max(Theme.updated_at)),
    ("customers.updated_at", func.max(Customer.updated_at)),
    ("segments.updated_at", func.max(Segment.updated_at)),
    ("segments.refreshed_at", func.max(Segment.refreshed_at)),
    ("privacy_erasures.id", func.max(ErasureRecord.id)),
)


def data_stamp(session: Session, *, today: date) -> dict[str, Any]:
    """The stamp's parts by name (JSON-ready): counts, highest ids, latest edits and the day."""
    columns = [
        *(select(func.count()).select_from(m).scalar_subquery().label(f"{m.__tablename__}.count") for m in _COUNTED),
        *(select(func.max(m.id)).scalar_subquery().label(f"{m.__tablename__}.id") for m in _HIGHEST_ID),
        *(select(expr).scalar_subquery().label(name) for name, expr in _LATEST_EDIT),
    ]
    row = session.execute(select(*columns)).one()
    found: dict[str, Any] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}
    return found | {"day": today.isoformat()}


def organisation_size(session: Session, *, up_to: int) -> int:
    """Responses plus feedback items, counted no further than `up_to` (a bounded index scan on any size)."""
    total = 0
    for model in (Response, FeedbackItem):
        bounded = select(model.id).limit(up_to - total + 1).subquery()
        total += session.scalar(select(func.count()).select_from(bounded)) or 0
        if total > up_to:
            break
    return total
