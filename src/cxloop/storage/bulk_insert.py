"""Set-based inserts of prepared rows, with each row's id in input order (the bulk writers of every domain).

Bulk writes bypass the ORM and SQLAlchemy's per-value type processing: the caller encodes values once with the
`Codec` of the session's database, and rows go to the driver in one call per batch (PostgreSQL `COPY`, or an
`executemany` that psycopg pipelines; SQLite `executemany` inside the open transaction).

Conflicts on the natural key (idempotency key, source + external id) are skipped with ON CONFLICT DO NOTHING, so a
concurrent writer storing the same key never fails the batch; the caller learns which rows were skipped and looks
their ids up. Ids: on PostgreSQL small batches use INSERT ... RETURNING, large ones draw their ids from the table's
sequence before the COPY; SQLite assigns consecutive rowids to the rows of one executemany (the table's rowid is
max + 1 and the transaction holds the write lock).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

# Batches at least this big go through COPY on PostgreSQL; smaller ones through INSERT ... ON CONFLICT.
COPY_THRESHOLD = 200


def _null(value: None) -> None:
    return value


# Python 3.11's sqlite3 binds None through its adapter lookup, which fails by raising and clearing two
# AttributeErrors: ~0.5 µs per NULL, a third of a response row's insert. A registered adapter is a dict hit instead
# (the value bound is still NULL). Registered for the whole process, which only makes every NULL cheaper.
sqlite3.register_adapter(type(None), _null)


class Codec:
    """How Python values are written by the raw driver of one database."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.is_sqlite = dialect == "sqlite"

    def instant(self, value: datetime) -> str:
        """An aware datetime as text the column reads: naive UTC in SQLAlchemy's format on SQLite, with the UTC offset
        on PostgreSQL (rows of text pickle several times faster than datetimes, for imports that prepare rows in
        another process)."""
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        text = value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return text if self.is_sqlite else text + "+00:00"

    def utc_text(self, iso: str) -> str | None:
        """`instant` straight from text of the form 2024-03-04T05:06:07Z (validated by the caller), else None."""
        if len(iso) != 20 or iso[19] != "Z":
            return None
        text = f"{iso[:10]} {iso[11:19]}.000000"
        return text if self.is_sqlite else text + "+00:00"

    def day(self, value: date | None) -> Any:
        """A calendar date as the column stores it (SQLite: ISO text)."""
        return value.isoformat() if self.is_sqlite and value is not None else value

    @staticmethod
    def json(value: Any) -> str:
        return orjson.dumps(value).decode()

    def flag(self, value: bool) -> Any:
        return int(value) if self.is_sqlite else value


def codec_for(session: Session) -> Codec:
    """The codec for the database this session writes to."""
    return Codec(session.get_bind().dialect.name)


def insert_rows(
    session: Session,
    *,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    conflict: Sequence[str],
    key_of: Callable[[tuple[Any, ...]], Hashable | None],
    lookup: Callable[[list[Hashable]], dict[Hashable, int]],
) -> list[int | None]:
    """Insert `rows` (values encoded by the codec, in `columns` order); the new id of each row, None when skipped.

    `conflict` names the unique natural key; `key_of(row)` gives a row's natural key (None: it cannot conflict) and
    `lookup(keys)` the stored ids of natural keys, used only when some rows were skipped.
    """
    if not rows:
        return []
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor: Any = raw.cursor()  # the driver's own cursor: COPY and executemany(returning=True) on psycopg
    names = ", ".join(columns)
    on_conflict = f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    try:
        if connection.dialect.name == "sqlite":
            placeholders = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders}) {on_conflict}", rows)
            # Consecutive rowids need the write lock held across the whole executemany: a transaction.
            assert raw.in_transaction, "bulk inserts on SQLite must run inside a transaction"
            inserted = cursor.rowcount
            last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
            if inserted == len(rows):
                return list(range(last - inserted + 1, last + 1))
            return _sqlite_ids(rows, inserted, last, key_of, lookup)
        if len(rows) < COPY_THRESHOLD:
            # Few rows: each INSERT returns its id, or nothing when skipped (psycopg pipelines the statements).
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders}) {on_conflict} RETURNING id"
            cursor.executemany(sql, rows, returning=True)
            found: list[int | None] = []
            while True:
                returned = cursor.fetchone()
                found.append(returned[0] if returned else None)
                if not cursor.nextset():
                    return found
        ids = [row[0] for row in cursor.execute(_NEXTVAL.format(table=table), (len(rows),))]
        with_ids = [(ids[i], *row) for i, row in enumerate(rows)]
        if _copy(cursor, table, names, with_ids):
            return list(ids)
        placeholders = ", ".join(["%s"] * (len(columns) + 1))
        cursor.executemany(f"INSERT INTO {table} (id, {names}) VALUES ({placeholders}) {on_conflict}", with_ids)
        if cursor.rowcount == len(rows):
            return list(ids)
        return _postgresql_ids(rows, ids, key_of, lookup)
    finally:
        cursor.close()


_NEXTVAL = "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)"


def _copy(cursor: Any, table: str, names: str, rows: list[tuple[Any, ...]]) -> bool:
    """COPY the rows; False (nothing written) when a concurrent writer stored one of their keys meanwhile."""
    import psycopg  # noqa: PLC0415  (PostgreSQL only)

    # A raw savepoint: the statements here bypass the Session, which would only emit its own savepoint lazily.
    cursor.execute("SAVEPOINT cxloop_copy")
    try:
        with cursor.copy(f"COPY {table} (id, {names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT cxloop_copy")
        return False
    cursor.execute("RELEASE SAVEPOINT cxloop_copy")
    return True


def _postgresql_ids(
    rows: Sequence[tuple[Any, ...]],
    ids: list[int],
    key_of: Callable[[tuple[Any, ...]], Hashable | None],
    lookup: Callable[[list[Hashable]], dict[Hashable, int]],
) -> list[int | None]:
    keys = [key_of(row) for row in rows]
    stored = lookup([k for k in keys if k is not None])
    return [ids[i] if key is None or stored.get(key) == ids[i] else None for i, key in enumerate(keys)]


def _sqlite_ids(
    rows: Sequence[tuple[Any, ...]],
    inserted: int,
    last: int,
    key_of: Callable[[tuple[Any, ...]], Hashable | None],
    lookup: Callable[[list[Hashable]], dict[Hashable, int]],
) -> list[int | None]:
    first = last - inserted + 1
    keys = [key_of(row) for row in rows]
    stored = lookup([k for k in keys if k is not None])
    result: list[int | None] = []
    next_id = first
    for key in keys:
        if key is None or first <= stored.get(key, 0) <= last:
            result.append(next_id)
            next_id += 1
        else:
            result.append(None)
    assert next_id == last + 1, "rows and the rowids they were given disagree"
    return result
