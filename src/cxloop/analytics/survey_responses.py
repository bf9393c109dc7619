"""Responses per survey and UTC day (table `survey_response_days`), kept exact on every write, so the surveys list
counts each survey's responses and finds its latest one without scanning the responses table (which has no survey
index: collection/models.py).

The score rollups cannot answer it: a response may carry several metrics, or none. The same hooks keep it:
- `count_ahead` / `on_responses_stored` add each stored response batch (collection's `responses_prepared` and
  `responses_stored`), counted while the batch is validated like the score rollups;
- `on_scores_changed` moves amended, anonymised and deleted responses (`scores_changed`: feedback items, which have
  no survey, are left out);
- `forget_customers` takes out the responses of customers about to be deleted (customers' deletion hook);
- `rebuild_survey_responses` recounts from raw rows (`cxloop metrics rebuild`, tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from cxloop.analytics import queries
from cxloop.analytics.models import SurveyResponseDay
from cxloop.collection import local_days
from cxloop.collection.rows import ScoredRow

_AHEAD = "survey_response_days"  # this module's key in a prepared batch's `ahead`
_CHUNK = 2_000
_Key = tuple[int, int]  # (survey id, UTC day)


def count_rows(rows: Iterable[ScoredRow]) -> Counter[_Key]:
    """Responses per (survey, UTC day) among `rows`; feedback items (no survey) are left out."""
    day = local_days.SECONDS_PER_DAY
    return Counter((row.survey_id, row.seconds // day) for row in rows if row.survey_id is not None)


def count_ahead(session: Session, *, rows: Sequence[ScoredRow], ahead: dict[str, Any]) -> None:  # noqa: ARG001
    """`responses_prepared` hook: count a validated batch, with no database."""
    ahead[_AHEAD] = count_rows(rows)


def on_responses_stored(
    session: Session,
    *,
    rows: Callable[[], Sequence[ScoredRow]],
    retracted: Sequence[ScoredRow],
    restated: Sequence[ScoredRow],
    ahead: dict[str, Any],
) -> None:
    """`responses_stored` hook: add a stored batch, from its counts ahead when it has them."""
    counted: Counter[_Key] | None = ahead.get(_AHEAD)
    if counted is None:
        _add(session, count_rows(rows()))
        return
    counts = Counter(counted)
    counts.subtract(count_rows(retracted))
    counts.update(count_rows(restated))
    _add(session, counts)


def on_scores_changed(session: Session, *, removed: Sequence[ScoredRow], added: Sequence[ScoredRow]) -> None:
    """`scores_changed` hook: an amended or anonymised response moves nothing here; a deleted one leaves."""
    counts = count_rows(added)
    counts.subtract(count_rows(removed))
    _add(session, counts)


def forget_customers(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Deletion listener: take out the responses of customers about to be deleted (they go with them)."""
    unique = sorted(set(customer_ids))
    for start in range(0, len(unique), _CHUNK):
        found = queries.responses_per_survey_day(session, customer_ids=unique[start : start + _CHUNK])
        _add(session, Counter({key: -n for key, n in found.items()}))


def _add(session: Session, counts: Counter[_Key]) -> None:
    changed = sorted((key, n) for key, n in counts.items() if n)  # key order: concurrent writers lock alike
    if not changed:
        return
    session.execute(_UPSERT, [{"survey_id": survey_id, "day": day, "n": n} for (survey_id, day), n in changed])
    if any(n < 0 for _, n in changed):
        session.execute(delete(SurveyResponseDay).where(SurveyResponseDay.n <= 0))


# Plain SQL (both databases): a compiled INSERT's parameter processing cost more than the upsert of one row.
_UPSERT = text(
    "INSERT INTO survey_response_days (survey_id, day, n) VALUES (:survey_id, :day, :n) "
    "ON CONFLICT (survey_id, day) DO UPDATE SET n = survey_response_days.n + excluded.n"
)


def rebuild_survey_responses(session: Session) -> None:
    """Recount every row from the raw responses, in SQL, in the caller's transaction."""
    session.execute(delete(SurveyResponseDay))
    session.execute(
        insert(SurveyResponseDay).from_select(
            ["survey_id", "day", "n"], queries.survey_response_days(session.get_bind().dialect.name)
        )
    )
    session.flush()


def survey_activity(session: Session, *, survey_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
    """survey id -> (how many responses, the latest submission), for the surveys given that have responses: the
    count from the rows, the latest instant read within its day (a few index entries)."""
    ids = sorted(set(survey_ids))
    if not ids:
        return {}
    query = (
        select(SurveyResponseDay.survey_id, func.sum(SurveyResponseDay.n), func.max(SurveyResponseDay.day))
        .where(SurveyResponseDay.survey_id.in_(ids))
        .group_by(SurveyResponseDay.survey_id)
    )
    found: dict[int, tuple[int, datetime]] = {}
    for survey_id, n, day in session.execute(query):
        since = datetime.combine(local_days.day_date(day), time.min, UTC)
        last = queries.latest_submission(session, survey_id=survey_id, since=since, until=since + timedelta(days=1))
        if last is not None:
            found[survey_id] = (int(n), last)
    return found
