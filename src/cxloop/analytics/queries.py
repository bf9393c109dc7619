"""Read-side SQL for metrics: score histograms from the rollups or from raw rows, and key/label lookups.

Everything is counted in the database: each query returns (group values, local day, score, count) rows, at most a
few thousand of them; Python only folds days into weeks/months and turns histograms into metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

from cxloop.analytics import buckets
from cxloop.analytics.enums import FatigueGroup, GroupKey
from cxloop.analytics.models import ScoreRollup
from cxloop.collection import local_days
from cxloop.collection.models import FeedbackItem, Response
from cxloop.collection.schemas import ResolvedFilters
from cxloop.core.clock import utcnow
from cxloop.customers.models import Account, Customer, Segment, SegmentMember
from cxloop.invitations.models import Invitation
from cxloop.journeys.models import Journey, Stage, Touchpoint
from cxloop.surveys.models import Survey
from cxloop.surveys.scales import SCALES

Count = tuple[tuple[Any, ...], int | None, int, int]  # (dimension values, local day or None, score, n)


@dataclass(frozen=True, slots=True)
class CountSpec:
    """One histogram to count: the grouping, the local-day range (inclusive) and/or the instant range."""

    metric: str
    source: str
    tz: ZoneInfo
    dims: tuple[str, ...]
    by_day: bool
    filters: ResolvedFilters
    first_day: int | None = None
    last_day: int | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    # The scores counted (metrics.Metric.scores for the source): a response column, or "rating" (feedback items).
    scores: tuple[str, ...] = ()


# ---- keys and labels -----------------------------------------------------------------------------------------


def segment_id(session: Session, *, key: str) -> int | None:
    return session.scalar(select(Segment.id).where(Segment.key == key))


def survey_id(session: Session, *, key: str) -> int | None:
    return session.scalar(select(Survey.id).where(Survey.key == key))


def account_id(session: Session, *, external_id: str) -> int | None:
    return session.scalar(select(Account.id).where(Account.external_id == external_id))


def stage_id(session: Session, *, key: str) -> int | None:
    """The stage with this key; the default journey's wins when several journeys use the key."""
    query = (
        select(Stage.id)
        .join(Journey, Journey.id == Stage.journey_id)
        .where(Stage.key == key)
        .order_by(Journey.is_default.desc(), Stage.id)
        .limit(1)
    )
    return session.scalar(query)


def touchpoint_id(session: Session, *, key: str) -> int | None:
    """The touchpoint with this key; the default journey's wins when several journeys use the key."""
    query = (
        select(Touchpoint.id)
        .join(Journey, Journey.id == Touchpoint.journey_id)
        .where(Touchpoint.key == key)
        .order_by(Journey.is_default.desc(), Touchpoint.id)
        .limit(1)
    )
    return session.scalar(query)


_LABEL_COLUMNS: dict[str, tuple[Any, Any, Any]] = {
    "segment": (Segment.id, Segment.key, Segment.name),
    "stage": (Stage.id, Stage.key, Stage.name),
    "touchpoint": (Touchpoint.id, Touchpoint.key, Touchpoint.name),
    "survey": (Survey.id, Survey.key, Survey.name),
    "account": (Account.id, Account.external_id, Account.name),
}


def labels(session: Session, *, dim: str, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id -> (key, display name) for the rows of one dimension."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    id_col, key_col, name_col = _LABEL_COLUMNS[dim]
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), 2_000):
        rows = session.execute(select(id_col, key_col, name_col).where(id_col.in_(wanted[start : start + 2_000])))
        found.update({row[0]: (row[1], row[2]) for row in rows})
    return found


# ---- rollup path ---------------------------------------------------------------------------------------------


def _bucket_expression(day: Any, key: GroupKey, first_day: int, last_day: int) -> ColumnElement[Any]:
    """SQL mapping a local day number to the first day of its bucket: a binary search over the bucket starts."""
    if key is GroupKey.day:
        return day  # type: ignore[no-any-return]
    starts: list[int] = []
    start = buckets.bucket_start(first_day, key)
    while start <= last_day:
        starts.append(start)
        start = buckets.bucket_end(start, key) + 1

    def search(part: list[int]) -> ColumnElement[Any]:
        if len(part) == 1:
            return literal_column(str(part[0]), Integer)
        middle = len(part) // 2
        return case(
            (day >= literal_column(str(part[middle]), Integer), search(part[middle:])), else_=search(part[:middle])
        )

    return search(starts)


def _is_constant(column: Any) -> bool:
    return isinstance(getattr(column, "element", None), ColumnClause) and column.element.is_literal


def rollup_counts(
    session: Session,
    *,
    metrics: Sequence[str],
    tz: str,
    dim: str,
    dim_value: str | None,
    by_dim: bool,
    bucket: GroupKey | None,
    first_day: int | None,
    last_day: int | None,
) -> list[Count]:
    """Sum rollup rows of one dimension, folded into time buckets in SQL so only a few rows come back.

    Dimension values come back as stored ('' = none -> None); the "day" of a row is its bucket's first day.
    """
    if not metrics:
        return []
    where = [ScoreRollup.tz == tz, ScoreRollup.metric.in_(metrics), ScoreRollup.dim == dim]
    if dim_value is not None:
        where.append(ScoreRollup.dim_value == dim_value)
    if first_day is not None:
        where.append(ScoreRollup.day >= first_day)
    if last_day is not None:
        where.append(ScoreRollup.day <= last_day)
    columns: list[Any] = []
    if by_dim:
        columns.append(ScoreRollup.dim_value)
    if bucket is not None:
        low, high = first_day, last_day
        if low is None or high is None:
            found = session.execute(select(func.min(ScoreRollup.day), func.max(ScoreRollup.day)).where(*where)).one()
            if found[0] is None:
                return []
            low, high = (found[0] if low is None else low), (found[1] if high is None else high)
        columns.append(_bucket_expression(ScoreRollup.day, bucket, low, high).label("bucket"))
    query = select(*columns, ScoreRollup.score, func.sum(ScoreRollup.n)).where(*where)
    # A range inside one bucket makes the bucket a constant, which GROUP BY would read as a column position.
    grouped = [c for c in columns if not (c is not ScoreRollup.dim_value and _is_constant(c))]
    query = query.group_by(*grouped, ScoreRollup.score)
    counts: list[Count] = []
    for row in session.execute(query):
        dims = ((row[0] or None),) if by_dim else ()
        day = row[len(dims)] if bucket is not None else None
        counts.append((dims, day, int(row[-2]), int(row[-1])))
    return counts


# ---- raw path ------------------------------------------------------------------------------------------------


def _day_bounds(spec: CountSpec) -> tuple[datetime | None, datetime | None]:
    """Instant bounds for the index: the instant range, widened dates (no zone is more than a day off UTC)."""
    low, high = spec.start_at, spec.end_at
    if spec.first_day is not None:
        widened = datetime.combine(local_days.day_date(spec.first_day), time(), UTC) - timedelta(days=2)
        low = widened if low is None else max(low, widened)
    if spec.last_day is not None:
        widened = datetime.combine(local_days.day_date(spec.last_day), time(), UTC) + timedelta(days=3)
        high = widened if high is None else min(high, widened)
    return low, high


def _offset_bounds(session: Session, low: datetime | None, high: datetime | None) -> tuple[datetime, datetime]:
    if low is None or high is None:
        found = data_range(session)
        now = utcnow()
        if low is None:
            low = (found[0] if found else now) - timedelta(days=1)
        if high is None:
            high = max(found[1] if found else now, now) + timedelta(days=2)
    return low, high


def _branch(spec: CountSpec, dialect: str, *, name: str, low: datetime | None, high: datetime | None) -> Select[Any]:
    feedback = name == "rating"
    table: Any = FeedbackItem if feedback else Response
    at = FeedbackItem.posted_at if feedback else Response.submitted_at
    score = FeedbackItem.rating if feedback else getattr(Response, name)
    scale = SCALES[name]
    query = select(
        local_days.epoch_seconds(at, dialect).label("seconds"),
        at.label("instant"),
        table.customer_id.label("customer_id"),
        (cast(null(), BigInteger) if feedback else Response.survey_id).label("survey_id"),
        table.channel.label("channel"),
        table.touchpoint_id.label("touchpoint_id"),
        table.stage_id.label("stage_id"),
        score.label("score"),
    ).where(score.between(*scale))
    f = spec.filters
    if low is not None:
        query = query.where(at >= low)
    if high is not None:
        query = query.where(at <= high)
    if f.stage_id is not None:
        query = query.where(table.stage_id == f.stage_id)
    if f.touchpoint_id is not None:
        query = query.where(table.touchpoint_id == f.touchpoint_id)
    if f.channel is not None:
        query = query.where(table.channel == f.channel)
    if f.survey_id is not None and not feedback:
        query = query.where(Response.survey_id == f.survey_id)
    if f.segment_id is not None:
        members = select(SegmentMember.customer_id).where(SegmentMember.segment_id == f.segment_id)
        query = query.where(table.customer_id.in_(members))
    if f.account_id is not None:
        contacts = select(Customer.id).where(Customer.account_id == f.account_id)
        query = query.where(table.customer_id.in_(contacts))
    return query


def raw_counts(session: Session, *, spec: CountSpec) -> list[Count]:
    """Count the spec's scores straight from responses (UNION ALL rated feedback items when it counts "rating"),
    grouped as `spec` says."""
    dialect = session.get_bind().dialect.name
    low, high = _day_bounds(spec)
    branches = [
        _branch(spec, dialect, name=name, low=low, high=high)
        for name in spec.scores
        if name != "rating" or spec.filters.survey_id is None  # feedback items answer no survey
    ]
    if not branches:
        return []
    base = (branches[0] if len(branches) == 1 else union_all(*branches)).cte("scored")
    if dialect == "sqlite":
        base = base.prefix_with("MATERIALIZED")  # each row's epoch seconds computed once (local_days)

    source: Any = base
    groups: list[Any] = []
    for dim in spec.dims:
        if dim == "segment":
            condition = SegmentMember.customer_id == base.c.customer_id
            if spec.filters.segment_id is not None:
                condition = condition & (SegmentMember.segment_id == spec.filters.segment_id)
            source = source.join(SegmentMember, condition)
            groups.append(SegmentMember.segment_id)
        elif dim == "account":
            source = source.outerjoin(Customer, Customer.id == base.c.customer_id)
            groups.append(Customer.account_id)
        else:
            groups.append(base.c[f"{dim}_id"] if dim != "channel" else base.c.channel)
    query = select(*groups)
    needs_day = spec.by_day or spec.first_day is not None or spec.last_day is not None
    day: ColumnElement[Any] | None = None
    if needs_day:
        start, end = _offset_bounds(session, low, high)
        day = local_days.day_expression(
            seconds=base.c.seconds, instant=base.c.instant, dialect=dialect, tz=spec.tz, start=start, end=end
        ).label("day")
        if spec.first_day is not None:
            query = query.where(day >= spec.first_day)
        if spec.last_day is not None:
            query = query.where(day <= spec.last_day)
    by: list[Any] = [*groups]
    if spec.by_day and day is not None:
        query = query.add_columns(day)
        by.append(day)
    query = query.add_columns(base.c.score, func.count()).select_from(source).group_by(*by, base.c.score)
    counts: list[Count] = []
    width = len(groups)
    for row in session.execute(query):
        values = tuple(row)
        row_day = values[width] if spec.by_day else None
        counts.append((values[:width], row_day, int(values[-2]), int(values[-1])))
    return counts


# ---- the raw rows the rollups recount ---------------------------------------------------------------------


def data_range(session: Session) -> tuple[datetime, datetime] | None:
    """The earliest and latest feedback instants (responses and feedback items), or None when there is none."""
    bounds = session.execute(
        select(func.min(Response.submitted_at), func.max(Response.submitted_at)).union_all(
            select(func.min(FeedbackItem.posted_at), func.max(FeedbackItem.posted_at))
        )
    ).all()
    lows = [row[0] for row in bounds if row[0] is not None]
    highs = [row[1] for row in bounds if row[1] is not None]
    if not lows:
        return None
    return _aware(min(lows)), _aware(max(highs))


def _aware(value: Any) -> datetime:
    # MIN() over a UNION loses the column type on SQLite and comes back as text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def scored_rows(dialect: str, metric: str, customer_ids: Sequence[int] | None) -> Any:
    """A CTE of (seconds, instant, customer_id, survey_id, channel, touchpoint_id, stage_id, score) for one metric."""
    if metric == "rating":
        column: Any = FeedbackItem.rating
        query: Select[Any] = select(
            local_days.epoch_seconds(FeedbackItem.posted_at, dialect).label("seconds"),
            FeedbackItem.posted_at.label("instant"),
            FeedbackItem.customer_id.label("customer_id"),
            cast(null(), BigInteger).label("survey_id"),
            FeedbackItem.channel.label("channel"),
            FeedbackItem.touchpoint_id.label("touchpoint_id"),
            FeedbackItem.stage_id.label("stage_id"),
            column.label("score"),
        )
        owner: Any = FeedbackItem.customer_id
    else:
        column = getattr(Response, metric)
        query = select(
            local_days.epoch_seconds(Response.submitted_at, dialect).label("seconds"),
            Response.submitted_at.label("instant"),
            Response.customer_id.label("customer_id"),
            Response.survey_id.label("survey_id"),
            Response.channel.label("channel"),
            Response.touchpoint_id.label("touchpoint_id"),
            Response.stage_id.label("stage_id"),
            column.label("score"),
        )
        owner = Response.customer_id
    low, high = SCALES[metric]
    query = query.where(column.between(low, high))
    if customer_ids is not None:
        query = query.where(owner.in_(customer_ids))
    cte = query.cte(f"scored_{metric}")
    return cte.prefix_with("MATERIALIZED") if dialect == "sqlite" else cte


# ---- invitations answered, for response-rate anomalies ---------------------------------------------------------


def invitation_days(session: Session, *, first_day: int, last_day: int) -> list[tuple[str, int, int, int]]:
    """(channel, UTC day sent, invitations sent, of them answered) for invitations sent on days first..last."""
    dialect = session.get_bind().dialect.name
    low = datetime.combine(local_days.day_date(first_day), time(), UTC)
    high = datetime.combine(local_days.day_date(last_day + 1), time(), UTC)
    day = func.floor(local_days.epoch_seconds(Invitation.sent_at, dialect) / 86_400)
    query = (
        select(
            Invitation.channel,
            day.label("day"),
            func.count(),
            func.count(Invitation.answered_at),
        )
        .where(Invitation.sent_at >= low, Invitation.sent_at < high)
        .group_by(Invitation.channel, day)
    )
    return [(row[0], int(row[1]), int(row[2]), int(row[3])) for row in session.execute(query)]


# The fatigue report's groups: channel, survey or touchpoint id, and the contact policy that decided ('' before there
# were several).
_INVITATION_GROUPS = {
    FatigueGroup.channel: Invitation.channel,
    FatigueGroup.survey: cast(Invitation.survey_id, String),
    FatigueGroup.touchpoint: func.coalesce(cast(Invitation.touchpoint_id, String), ""),
    FatigueGroup.policy: func.coalesce(Invitation.policy, ""),
}


def invitation_outcomes(
    session: Session, *, group_by: FatigueGroup | None, since: datetime | None, until: datetime | None
) -> list[tuple[Any, ...]]:
    """Invitations created in [since, until) counted per (group, status, reason, delivery status): (group, status,
    reason, delivery status, invitations, sent, opened, answered); the group is '' without `group_by`."""
    key: Any = _INVITATION_GROUPS[group_by] if group_by else literal("")
    query = select(
        key.label("grp"),
        Invitation.status,
        Invitation.reason,
        Invitation.delivery_status,
        func.count(),
        func.count(Invitation.sent_at),
        func.count(Invitation.opened_at),
        func.count(Invitation.answered_at),
    ).group_by(key, Invitation.status, Invitation.reason, Invitation.delivery_status)
    if since is not None:
        query = query.where(Invitation.created_at >= since)
    if until is not None:
        query = query.where(Invitation.created_at < until)
    return [tuple(row) for row in session.execute(query)]


def invitation_range(session: Session) -> tuple[datetime, datetime] | None:
    """The earliest and latest invitation creation instants, or None when there is none."""
    low, high = session.execute(select(func.min(Invitation.created_at), func.max(Invitation.created_at))).one()
    return None if low is None else (_aware(low), _aware(high))


def invitation_rows(dialect: str) -> Any:
    """A CTE of every invitation as the invitation rollups count it: (seconds, created_at, channel, survey_id,
    touchpoint_id, policy, status, reason, delivery, sent_at, opened_at, answered_at)."""
    query = select(
        local_days.epoch_seconds(Invitation.created_at, dialect).label("seconds"),
        Invitation.created_at,
        Invitation.channel,
        Invitation.survey_id,
        Invitation.touchpoint_id,
        Invitation.policy,
        Invitation.status,
        Invitation.reason,
        Invitation.delivery_status.label("delivery"),
        Invitation.sent_at,
        Invitation.opened_at,
        Invitation.answered_at,
    )
    cte = query.cte("invitation_rows")
    return cte.prefix_with("MATERIALIZED") if dialect == "sqlite" else cte


def _utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    return local_days.epoch_seconds(column, dialect) // local_days.SECONDS_PER_DAY


def survey_response_days(dialect: str, customer_ids: Sequence[int] | None = None) -> Select[Any]:
    """(survey id, UTC day, responses) of every response, or of the responses of `customer_ids`."""
    day = _utc_day(Response.submitted_at, dialect)
    query = select(Response.survey_id, day.label("day"), func.count().label("n"))
    if customer_ids is not None:
        query = query.where(Response.customer_id.in_(customer_ids))
    return query.group_by(Response.survey_id, day)


def responses_per_survey_day(session: Session, *, customer_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """(survey id, UTC day) -> how many responses `customer_ids` gave."""
    query = survey_response_days(session.get_bind().dialect.name, customer_ids)
    return {(survey_id, int(day)): n for survey_id, day, n in session.execute(query)}


def latest_submission(session: Session, *, survey_id: int, since: datetime, until: datetime) -> datetime | None:
    """The latest submission instant of the survey's responses in [since, until) (read through the time index)."""
    found = session.scalar(
        select(func.max(Response.submitted_at)).where(
            Response.submitted_at >= since, Response.submitted_at < until, Response.survey_id == survey_id
        )
    )
    return None if found is None else _aware(found)


def with_segment(rows: Any) -> tuple[Any, ColumnElement[Any]]:
    """`rows` (with a customer_id column) joined to the segments their customers are in, and the segment id as a
    string: each row once per segment of its customer."""
    joined = rows.join(SegmentMember.__table__, SegmentMember.customer_id == rows.c.customer_id)
    return joined, cast(SegmentMember.segment_id, String)


def segment_exists(session: Session, segment_id: int) -> bool:
    return session.get(Segment, segment_id) is not None
