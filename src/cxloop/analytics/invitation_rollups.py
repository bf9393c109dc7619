"""Invitation rollups (table `invitation_rollups`), kept exact on every invitation write so the fatigue report, the
overview's response rates, the journey map and the surveys list never scan raw invitations.

One row per (timezone, dimension, dimension value, local day of creation, status, reason, delivery report) holds the
invitations counted there and how many of them were sent, opened and answered; see InvitationRollup.
- `on_outcomes_changed` moves the counts of every stored, changed or deleted invitation (the invitations domain's
  `outcomes_changed` hook, registered by cxloop.wiring: every status change goes through it);
- `rebuild_invitation_rollups` recounts everything from raw rows in SQL (after changing the zones, or to repair);
- `whole_days` says when a time range can be answered from the rollups (whole local days of a rolled-up zone).

The zones are the score rollups' (`rollups.configure`, from `Settings.rollup_timezones`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, func, literal, select, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.analytics import queries, rollups
from cxloop.analytics.models import InvitationRollup
from cxloop.collection import local_days
from cxloop.core.clock import utcnow
from cxloop.invitations.hooks import Outcome
from cxloop.storage.dialect_insert import dialect_insert

DIMENSIONS = ("all", "channel", "survey", "touchpoint", "policy")
_KEY = ("tz", "dim", "dim_value", "day", "status", "reason", "delivery")
_VALUES = ("n", "sent", "opened", "answered")
_Key = tuple[str, str, str, int, str, str, str]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _dimension_values(outcome: Outcome) -> tuple[tuple[str, str], ...]:
    return (
        ("all", ""),
        ("channel", outcome.channel),
        ("survey", _text(outcome.survey_id)),
        ("touchpoint", _text(outcome.touchpoint_id)),
        ("policy", _text(outcome.policy)),
    )


def count_outcomes(
    outcomes: Sequence[Outcome], *, sign: int = 1, into: dict[_Key, list[int]] | None = None
) -> dict[_Key, list[int]]:
    """The rollup increments (n, sent, opened, answered) of `outcomes`, times `sign`, added to `into`."""
    counts: dict[_Key, list[int]] = into if into is not None else defaultdict(lambda: [0, 0, 0, 0])
    zones = [local_days.zone(name) for name in rollups.rolled_up_timezones()]
    for outcome in outcomes:
        values = (sign, sign * outcome.sent, sign * outcome.opened, sign * outcome.answered)
        outcome_key = (outcome.status, _text(outcome.reason), _text(outcome.delivery_status))
        for zone in zones:
            day = local_days.local_day(outcome.created_at, zone)
            for dim, dim_value in _dimension_values(outcome):
                counted = counts[(zone.key, dim, dim_value, day, *outcome_key)]
                for i, value in enumerate(values):
                    counted[i] += value
    return counts


def on_outcomes_changed(session: Session, *, removed: Sequence[Outcome], added: Sequence[Outcome]) -> None:
    """`outcomes_changed` hook: take `removed` out of the rollups, add `added`, in the caller's transaction."""
    counts = count_outcomes(removed, sign=-1)
    count_outcomes(added, into=counts)
    changed = {key: values for key, values in counts.items() if any(values)}
    if not changed:
        return
    # Sorted keys: two transactions touching the same rows lock them in the same order (no deadlocks).
    keys = sorted(changed)
    columns = {name: [key[i] for key in keys] for i, name in enumerate(_KEY)}
    columns.update({name: [changed[key][i] for key in keys] for i, name in enumerate(_VALUES)})
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement over arrays (an executemany costs a round trip per row); RETURNING tells which counts
        # reached zero, and only those rows are deleted.
        stored = session.execute(_UNNEST_UPSERT, columns).all()
        if zeros := [dict(zip(_KEY, row[:-1], strict=True)) for row in stored if row[-1] <= 0]:
            table: Any = InvitationRollup.__table__
            session.execute(delete(table).where(*(table.c[name] == bindparam(name) for name in _KEY)), zeros)
        return
    # The driver's own executemany: through SQLAlchemy, processing each row's parameters cost more than the upsert.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.executemany(_SQLITE_UPSERT, list(zip(*columns.values(), strict=True)))
        if emptied := [key for key in keys if changed[key][0] < 0]:
            cursor.executemany(_SQLITE_DELETE, emptied)
    finally:
        cursor.close()


_COLUMNS = (*_KEY, *_VALUES)
_SQLITE_UPSERT = (
    f"INSERT INTO invitation_rollups ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
    + ", ".join(f"{name} = invitation_rollups.{name} + excluded.{name}" for name in _VALUES)
)
_SQLITE_DELETE = f"DELETE FROM invitation_rollups WHERE {' AND '.join(f'{name} = ?' for name in _KEY)} AND n <= 0"
_TYPES = {"day": "integer", "n": "integer", "sent": "integer", "opened": "integer", "answered": "integer"}
_UNNEST_UPSERT = text(
    f"INSERT INTO invitation_rollups ({', '.join(_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {_TYPES.get(name, 'varchar')}[])" for name in _COLUMNS)
    + f") ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
    + ", ".join(f"{name} = invitation_rollups.{name} + excluded.{name}" for name in _VALUES)
    + f" RETURNING {', '.join(_KEY)}, n"
)


def whole_days(since: datetime | None, until: datetime | None) -> tuple[str, int | None, int | None] | None:
    """(zone, first day, last day) when [since, until) is made of whole local days of a rolled-up zone (either end
    may be open: None), else None (the range needs raw rows)."""
    for name in rollups.rolled_up_timezones():
        zone = local_days.zone(name)
        ends = [at.astimezone(zone) for at in (since, until) if at is not None]
        if all(at.time() == time.min for at in ends):
            first = local_days.local_day(since, zone) if since is not None else None
            last = local_days.local_day(until, zone) - 1 if until is not None else None
            return zone.key, first, last
    return None


def outcome_counts(
    session: Session, *, group_by: str | None, tz: str, first_day: int | None, last_day: int | None
) -> list[tuple[Any, ...]]:
    """The shape of `queries.invitation_outcomes`, from the rollups: (group, status, reason, delivery status,
    invitations, sent, opened, answered) for invitations created on local days first..last in `tz`."""
    table = InvitationRollup
    where = [table.tz == tz, table.dim == (group_by or "all")]
    if first_day is not None:
        where.append(table.day >= first_day)
    if last_day is not None:
        where.append(table.day <= last_day)
    grouped = (table.dim_value, table.status, table.reason, table.delivery)
    query = select(*grouped, *(func.sum(getattr(table, name)) for name in _VALUES)).where(*where).group_by(*grouped)
    return [
        (row[0], row[1], row[2] or None, row[3] or None, *(int(value) for value in row[4:]))
        for row in session.execute(query)
    ]


# ---- recounting in SQL ---------------------------------------------------------------------------------------


def _dim_value(dim: str, daily: Any) -> ColumnElement[Any]:
    if dim == "all":
        return literal("")
    column = daily.c[{"survey": "survey_id", "touchpoint": "touchpoint_id"}.get(dim, dim)]
    return func.coalesce(cast(column, String) if dim in ("survey", "touchpoint") else column, "")


def rebuild_invitation_rollups(session: Session) -> None:
    """Recount every invitation rollup row from the raw invitations, in SQL, in the caller's transaction: per zone,
    one scan counting per (day, every dimension, outcome), then that small table summed per dimension."""
    session.execute(delete(InvitationRollup))
    dialect = session.get_bind().dialect.name
    found = queries.invitation_range(session)
    now = utcnow()
    low, high = found if found is not None else (now, now)
    bounds = low - timedelta(days=1), max(high, now) + timedelta(days=2)
    for tz_name in rollups.rolled_up_timezones():
        rows = queries.invitation_rows(dialect)
        day = local_days.day_expression(
            seconds=rows.c.seconds,
            instant=rows.c.created_at,
            dialect=dialect,
            tz=local_days.zone(tz_name),
            start=bounds[0],
            end=bounds[1],
        ).label("day")
        keys = [rows.c.channel, rows.c.survey_id, rows.c.touchpoint_id, rows.c.policy, rows.c.status]
        outcome = [
            func.coalesce(rows.c.reason, "").label("reason"),
            func.coalesce(rows.c.delivery, "").label("delivery"),
        ]
        counted = [
            func.count().label("n"),
            func.count(rows.c.sent_at).label("sent"),
            func.count(rows.c.opened_at).label("opened"),
            func.count(rows.c.answered_at).label("answered"),
        ]
        daily = select(day, *keys, *outcome, *counted).group_by(day, *keys, *outcome).cte("daily_invitations")
        if dialect == "sqlite":
            daily = daily.prefix_with("MATERIALIZED")
        parts = []
        for dim in DIMENSIONS:
            value = _dim_value(dim, daily)
            grouped = [daily.c.day, daily.c.status, daily.c.reason, daily.c.delivery]
            parts.append(
                select(
                    literal(tz_name).label("tz"),
                    literal(dim).label("dim"),
                    value.label("dim_value"),
                    *grouped,
                    *(func.sum(daily.c[name]).label(name) for name in _VALUES),
                ).group_by(*([] if dim == "all" else [value]), *grouped)
            )
        insert = dialect_insert(session, InvitationRollup.__table__)
        session.execute(insert.from_select([*_KEY, *_VALUES], union_all(*parts)))
    session.flush()
