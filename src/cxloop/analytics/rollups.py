"""Score rollups (table `score_rollups`), kept current on every write so dashboards never scan raw rows.

One row per (timezone, metric, dimension, dimension value, local day, score) holds a count `n`; see ScoreRollup.
These writers keep it equal to what a full recount would give, each registered with a hook by cxloop.wiring:
- `count_ahead` / `on_responses_stored` add each stored response batch (collection's `responses_prepared` and
  `responses_stored` hooks: the batch is counted while it is validated, in an import's reader process, and only
  the rows storing changed, and segments, are counted in the write transaction);
- `on_scores_changed` adds stored feedback items and moves an amended response's scores (`scores_changed` hook);
- `on_membership_change` moves segment rows when customers join or leave a segment (customers' membership hook);
- `forget_customers` takes out the feedback of customers about to be deleted (customers' deletion hook);
- `rebuild_rollups` recounts everything from raw rows in SQL (after changing the zones, or to repair).

The zones come from `configure(timezones)`, called once by the composition root with `Settings.rollup_timezones`
(services never read settings).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, func, literal, select, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.analytics import queries
from cxloop.analytics.models import ScoreRollup
from cxloop.collection import local_days
from cxloop.collection.rows import ScoredRow
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.storage.dialect_insert import dialect_insert
from cxloop.surveys.scales import SCALES, SURVEY_METRICS

DIMENSIONS = ("all", "segment", "stage", "touchpoint", "channel", "survey")
# Rollup metrics are the scale table's: "rating" (a feedback item's) is kept apart from survey CSAT so that
# `source=responses|feedback` is answered from rollups as well.
_RESPONSE_METRICS = SURVEY_METRICS
_CHUNK = 2_000  # customer ids per statement: far under SQLite's 32,766 bound variables
_KEY = ("tz", "metric", "dim", "dim_value", "day", "score")

_timezones: tuple[str, ...] = ("UTC",)
_ALL = frozenset(DIMENSIONS)
# Dimensions counted ahead, while a batch is validated: all but segment (which needs the database).
CUSTOMER_FREE = frozenset({"all", "survey", "channel", "touchpoint", "stage"})
_AHEAD = "score_rollups"  # this module's key in a prepared batch's `ahead`
SEGMENT = frozenset({"segment"})


def configure(timezones: Sequence[str]) -> None:
    """Set the IANA zones rollups are kept in (ValueError naming a bad zone). Run `rebuild_rollups` after a change."""
    keys: list[str] = []
    for name in timezones:
        key = local_days.zone(name).key
        if key not in keys:
            keys.append(key)
    global _timezones
    _timezones = tuple(keys)


def rolled_up_timezones() -> tuple[str, ...]:
    """The zones the rollups are kept in."""
    return _timezones


def _text(value: object) -> str:
    return "" if value is None else str(value)


_Key = tuple[str, str, str, str, int, int]


def count_ahead(session: Session, *, rows: Sequence[ScoredRow], ahead: dict[str, Any]) -> None:  # noqa: ARG001
    """`responses_prepared` hook: count a validated batch in every dimension but segment, with no database."""
    # In key order, which the upsert wants: sorting again when storing finds one run and is cheap.
    ahead[_AHEAD] = Counter(dict(sorted(count_rows(rows).items())))


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
        _add_counts(session, _count_rows(session, rows(), feedback=False))
        return
    counts = counted - count_rows(retracted) if retracted else Counter(counted)
    counts.update(count_rows(restated))
    if segments_in_use(session):
        counts.update(_count_rows(session, rows(), feedback=False, dimensions=SEGMENT))
    _add_counts(session, +counts)


def on_scores_changed(session: Session, *, removed: Sequence[ScoredRow], added: Sequence[ScoredRow]) -> None:
    """`scores_changed` hook: take `removed` out of the rollups, add `added` (feedback items or an amended response)."""
    if removed:
        retract_scores(session, items=removed)
    if added:
        record_scores(session, items=added)


def record_scores(session: Session, *, items: Sequence[ScoredRow]) -> None:
    """Add the scores of newly stored responses and feedback items (survey_id None) to the rollups, in the caller's
    transaction. Out-of-scale scores are ignored (validation upstream refuses them)."""
    _add_counts(session, _counts(session, items))


def count_rows(
    rows: Sequence[ScoredRow], *, feedback: bool = False, dimensions: frozenset[str] = CUSTOMER_FREE
) -> Counter[_Key]:
    """The rollup increments of rows in the given dimensions (not segment): pure work with no database."""
    if "segment" in dimensions:
        raise ValueError("segment increments need the database")
    return _count_rows(None, rows, feedback=feedback, dimensions=dimensions)


def segments_in_use(session: Session) -> bool:
    """Whether any segment has members (else no feedback counts into segment rollups)."""
    return customers.segments_have_members(session)


def retract_scores(session: Session, *, items: Sequence[ScoredRow]) -> None:
    """Take the scores of feedback about to be deleted out of the rollups (the inverse of `record_scores`).

    Segment rows follow the customers' current membership, so when customers are deleted take them out of their
    segments first (the membership listener moves those rows), then retract their feedback.
    """
    counts = _counts(session, items)
    _add_counts(session, Counter({key: -n for key, n in counts.items()}))
    table: Any = ScoreRollup.__table__
    emptied = delete(table).where(*(table.c[name] == bindparam(name) for name in _KEY), table.c.n <= 0)
    keys = [dict(zip(_KEY, key, strict=True)) for key in sorted(counts)]
    for start in range(0, len(keys), 5_000):
        session.execute(emptied, keys[start : start + 5_000])


def _counts(session: Session, items: Sequence[ScoredRow]) -> Counter[_Key]:
    counts = _count_rows(session, [item for item in items if item.survey_id is not None], feedback=False)
    counts.update(_count_rows(session, [item for item in items if item.survey_id is None], feedback=True))
    return counts


def _days(seconds: Sequence[int], tz_name: str) -> list[int]:
    """The local day of each instant, by the same offsets and arithmetic as `local_days.day_expression` (exact)."""
    first, changes = local_days.offset_transitions(local_days.zone(tz_name), min(seconds), max(seconds) + 1)
    day = local_days.SECONDS_PER_DAY
    if not changes:
        return [(s + first) // day for s in seconds]
    starts = [ts for ts, _ in changes]
    offsets = [first, *(offset for _, offset in changes)]
    return [(s + offsets[bisect_right(starts, s)]) // day for s in seconds]


def _count_rows(
    session: Session | None, rows: Sequence[ScoredRow], *, feedback: bool, dimensions: frozenset[str] = _ALL
) -> Counter[_Key]:
    """Rollup increments of rows, counted column-wise: one C-speed Counter pass per dimension, metric and zone."""
    counts: Counter[_Key] = Counter()
    if not rows or not _timezones:
        return counts
    seconds, owners, survey_ids, channels, touchpoint_ids, stage_ids, nps, csat, ces = zip(*rows, strict=True)
    scored = [("rating", csat)] if feedback else [("nps", nps), ("csat", csat), ("ces", ces)]
    scored = [(metric, column) for metric, column in scored if column.count(None) < len(column)]
    if not scored:
        return counts
    every = (("stage", stage_ids), ("touchpoint", touchpoint_ids), ("channel", channels), ("survey", survey_ids))
    columns = [(dim, values) for dim, values in every if dim in dimensions]
    wanted = {owner for owner in owners if owner is not None} if "segment" in dimensions else set()
    memberships = customers.customer_segment_ids(session, customer_ids=wanted) if session and wanted else {}
    if not any(memberships.values()):
        memberships = {}
    for tz_name in _timezones:
        days = _days(seconds, tz_name)
        for metric, column in scored:
            low, high = SCALES[metric]
            if "all" in dimensions:
                for (day, score), n in Counter(zip(days, column, strict=True)).items():
                    if score is not None and low <= score <= high:
                        counts[(tz_name, metric, "all", "", day, score)] += n
            for dim, values in columns:
                texts = {value: _text(value) for value in set(values)}
                for (value, day, score), n in Counter(zip(values, days, column, strict=True)).items():
                    if score is not None and low <= score <= high:
                        counts[(tz_name, metric, dim, texts[value], day, score)] += n
            if memberships:
                segments: Counter[tuple[int, int, int]] = Counter()
                for owner, day, score in zip(owners, days, column, strict=True):
                    if owner in memberships and score is not None and low <= score <= high:
                        for segment_id in memberships[owner]:
                            segments[(segment_id, day, score)] += 1
                for (segment_id, day, score), n in segments.items():
                    counts[(tz_name, metric, "segment", str(segment_id), day, score)] += n
    return counts


def _delete_empty(session: Session, *where: Any) -> None:
    # tz and metric first, so the primary key finds the rows.
    in_index = (ScoreRollup.tz.in_(_timezones), ScoreRollup.metric.in_(list(SCALES)))
    session.execute(delete(ScoreRollup).where(*in_index, ScoreRollup.n <= 0, *where))


def _insert(session: Session) -> Any:
    return dialect_insert(session, ScoreRollup.__table__)


_UNNEST_UPSERT = text(
    "INSERT INTO score_rollups (tz, metric, dim, dim_value, day, score, n) "
    "SELECT * FROM unnest(CAST(:tz AS varchar[]), CAST(:metric AS varchar[]), CAST(:dim AS varchar[]), "
    "CAST(:dim_value AS varchar[]), CAST(:day AS integer[]), CAST(:score AS smallint[]), CAST(:n AS integer[])) "
    "ON CONFLICT (tz, metric, dim, dim_value, day, score) DO UPDATE SET n = score_rollups.n + excluded.n"
)


_SQLITE_UPSERT = (
    "INSERT INTO score_rollups (tz, metric, dim, dim_value, day, score, n) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tz, metric, dim, dim_value, day, score) DO UPDATE SET n = score_rollups.n + excluded.n"
)


def _add_counts(session: Session, counts: Counter[_Key]) -> None:
    if not counts:
        return
    # Sorted keys: two transactions touching the same rows lock them in the same order, so PostgreSQL never deadlocks
    # (and SQLite walks its B-tree in order).
    ordered = sorted(counts.items())
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement over arrays: an executemany upsert costs ~50 µs a row on PostgreSQL, this ~3 µs.
        for start in range(0, len(ordered), 20_000):
            part = ordered[start : start + 20_000]
            columns = {name: [key[i] for key, _ in part] for i, name in enumerate(_KEY)}
            session.execute(_UNNEST_UPSERT, {**columns, "n": [n for _, n in part]})
        return
    # The driver's own executemany: through SQLAlchemy, processing each row's parameters cost more than the upsert.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.executemany(_SQLITE_UPSERT, [(*key, n) for key, n in ordered])
    finally:
        cursor.close()


# ---- recounting in SQL ---------------------------------------------------------------------------------------


def _offset_range(session: Session) -> tuple[datetime, datetime]:
    found = queries.data_range(session)
    now = utcnow()
    if found is None:
        return now - timedelta(days=1), now + timedelta(days=1)
    # Past `now` as well: rows stored while this statement runs are still given the right offset.
    return found[0] - timedelta(days=1), max(found[1], now) + timedelta(days=2)


def _dim_value(dim: str, rows: Any) -> ColumnElement[Any]:
    column = {"stage": rows.c.stage_id, "touchpoint": rows.c.touchpoint_id, "survey": rows.c.survey_id}.get(dim)
    if column is None:
        return func.coalesce(rows.c.channel, "")
    return func.coalesce(cast(column, String), "")


def _count_into_rollups(
    session: Session,
    *,
    tz_name: str,
    metric: str,
    dims: Sequence[str],
    bounds: tuple[datetime, datetime],
    customer_ids: Sequence[int] | None = None,
    segment_id: int | None = None,
    sign: int = 1,
) -> None:
    """INSERT ... SELECT the counts of one metric per dimension, adding to existing rows (ON CONFLICT)."""
    dialect = session.get_bind().dialect.name
    tz = local_days.zone(tz_name)
    for dim in dims:
        rows = queries.scored_rows(dialect, metric, customer_ids)
        day = local_days.day_expression(
            seconds=rows.c.seconds, instant=rows.c.instant, dialect=dialect, tz=tz, start=bounds[0], end=bounds[1]
        )
        grouped: list[Any] = [day, rows.c.score]
        source: Any = rows
        value: ColumnElement[Any]
        if dim == "segment" and segment_id is not None:
            value = literal(str(segment_id))
        elif dim == "segment":
            source, value = queries.with_segment(rows)
            grouped.append(value)
        elif dim == "all":
            value = literal("")
        else:
            value = _dim_value(dim, rows)
            grouped.append(value)
        counted = (
            select(
                literal(tz_name).label("tz"),
                literal(metric).label("metric"),
                literal(dim).label("dim"),
                value.label("dim_value"),
                day.label("day"),
                rows.c.score.label("score"),
                (func.count() * sign).label("n"),
            )
            .select_from(source)
            .where(rows.c.score.is_not(None))  # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
            .group_by(*grouped)
            # Key order, as record_scores writes: concurrent upserts lock rows in one order (no deadlocks).
            .order_by(*([value] if len(grouped) > 2 else []), day, rows.c.score)
        )
        stmt = _insert(session).from_select([*_KEY, "n"], counted)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_KEY), set_={"n": ScoreRollup.__table__.c.n + stmt.excluded.n}
        )
        session.execute(stmt)


def _recount_metric(session: Session, *, tz_name: str, metric: str, bounds: tuple[datetime, datetime]) -> None:
    """All non-segment dimensions of one metric from a single scan: count per (day, every dimension, score) once,
    then sum that small table per dimension (SQLite has no GROUPING SETS)."""
    dialect = session.get_bind().dialect.name
    rows = queries.scored_rows(dialect, metric, None)
    day = local_days.day_expression(
        seconds=rows.c.seconds,
        instant=rows.c.instant,
        dialect=dialect,
        tz=local_days.zone(tz_name),
        start=bounds[0],
        end=bounds[1],
    ).label("day")
    keys = [rows.c.survey_id, rows.c.channel, rows.c.touchpoint_id, rows.c.stage_id, rows.c.score]
    daily = select(day, *keys, func.count().label("n")).group_by(day, *keys).cte(f"daily_{metric}")
    if dialect == "sqlite":
        daily = daily.prefix_with("MATERIALIZED")
    parts = []
    for dim in DIMENSIONS:
        if dim == "segment":
            continue
        value = literal("") if dim == "all" else _dim_value(dim, daily)
        grouped = [daily.c.day, daily.c.score] if dim == "all" else [value, daily.c.day, daily.c.score]
        parts.append(
            select(
                literal(tz_name).label("tz"),
                literal(metric).label("metric"),
                literal(dim).label("dim"),
                value.label("dim_value"),
                daily.c.day,
                daily.c.score,
                func.sum(daily.c.n).label("n"),
            ).group_by(*grouped)
        )
    session.execute(_insert(session).from_select([*_KEY, "n"], union_all(*parts)))


def rebuild_rollups(session: Session) -> None:
    """Recount every rollup row from the raw responses and feedback items, in SQL, in the caller's transaction."""
    session.execute(delete(ScoreRollup))
    bounds = _offset_range(session)
    for tz_name in _timezones:
        for metric in (*_RESPONSE_METRICS, "rating"):
            _recount_metric(session, tz_name=tz_name, metric=metric, bounds=bounds)
            _count_into_rollups(session, tz_name=tz_name, metric=metric, dims=("segment",), bounds=bounds)
    session.flush()


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def on_membership_change(session: Session, *, segment_id: int, added: Sequence[int], removed: Sequence[int]) -> None:
    """Membership listener: count the feedback of `added` customers into the segment's rows, take `removed` out."""
    if not queries.segment_exists(session, segment_id):
        # The segment is gone: its rows go with it, whatever the lists say.
        session.execute(
            delete(ScoreRollup).where(ScoreRollup.dim == "segment", ScoreRollup.dim_value == str(segment_id))
        )
        return
    if not (added or removed) or not _timezones:
        return
    bounds = _offset_range(session)
    for customer_ids, sign in ((added, 1), (removed, -1)):
        for chunk in _chunks(customer_ids):
            for tz_name in _timezones:
                for metric in (*_RESPONSE_METRICS, "rating"):
                    _count_into_rollups(
                        session,
                        tz_name=tz_name,
                        metric=metric,
                        dims=("segment",),
                        bounds=bounds,
                        customer_ids=chunk,
                        segment_id=segment_id,
                        sign=sign,
                    )
    if removed:
        _delete_empty(session, ScoreRollup.dim == "segment", ScoreRollup.dim_value == str(segment_id))
    session.flush()


def forget_customers(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Deletion listener: take the feedback of customers about to be deleted out of every non-segment rollup.

    Their segment rows have already moved: deleting customers removes them from their segments first.
    """
    if not customer_ids or not _timezones:
        return
    bounds = _offset_range(session)
    dims = tuple(dim for dim in DIMENSIONS if dim != "segment")
    for chunk in _chunks(customer_ids):
        for tz_name in _timezones:
            for metric in (*_RESPONSE_METRICS, "rating"):
                _count_into_rollups(
                    session, tz_name=tz_name, metric=metric, dims=dims, bounds=bounds, customer_ids=chunk, sign=-1
                )
    _delete_empty(session, ScoreRollup.dim != "segment")
    session.flush()
