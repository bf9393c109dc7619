"""Soft references: columns of a hot table that point at another table without a database foreign key.

A foreign key is checked row by row: on PostgreSQL each inserted row runs one locking SELECT per key (about 5-8 µs
each), and the five keys of `responses` cost more than the insert itself (docs/benchmarks.md). The hot tables keep
these references in the application instead, with the same guarantees:

- Writers validate the ids they write inside their transaction, then `hold` the parent rows: on PostgreSQL one
  `SELECT ... FOR KEY SHARE` per parent table and batch, which is the lock a foreign key takes per row. SQLite runs
  one writer at a time, so holding is a no-op there.
- A service deleting parent rows first `lock`s them (FOR UPDATE waits for writers that hold them), then `release`s
  them before its DELETE: each soft reference's rule runs (cascade, set null or restrict), like ON DELETE would.

Parents are always locked in the alphabetical order of their tables, by writers and deleters alike, so the two never
wait on each other in a cycle. A column declares its reference with `soft_reference(...)` as its `info`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from cxloop.core.errors import Conflict
from cxloop.storage.base import Base

OnDelete = Literal["cascade", "set null", "restrict"]
_INFO_KEY = "soft_reference"
_CHUNK = 5_000


@dataclass(frozen=True)
class SoftReference:
    table: str
    column: str
    parent: str  # the parent table; references always point at its `id`
    on_delete: OnDelete


class StillReferenced(Conflict):
    """Parent rows cannot be deleted: rows of another table still point at them (the rule is 'restrict')."""

    def __init__(self, reference: SoftReference) -> None:
        super().__init__(f"{reference.table}.{reference.column} still points at these {reference.parent}")
        self.reference = reference


def soft_reference(parent: str, *, on_delete: OnDelete) -> dict[str, Any]:
    """The `info` of a column that points at `parent.id` without a foreign key: mapped_column(info=...)."""
    return {_INFO_KEY: (parent, on_delete)}


def references_to(parent: str) -> list[SoftReference]:
    """The soft references pointing at `parent`, from the mapped tables."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            declared = column.info.get(_INFO_KEY)
            if declared is not None and declared[0] == parent:
                found.append(SoftReference(table.name, column.name, parent, declared[1]))
    return found


def soft_columns(table: str) -> dict[str, str]:
    """column name -> parent table, for the soft references of `table`."""
    columns = Base.metadata.tables[table].columns
    return {c.name: c.info[_INFO_KEY][0] for c in columns if _INFO_KEY in c.info}


def hold(session: Session, parents: Mapping[str, Iterable[int | None]]) -> None:
    """Keep the given parent rows (parent table -> ids) from being deleted until this transaction ends."""
    _lock(session, parents, "FOR KEY SHARE")


def hold_rows(session: Session, *, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """`hold` the parents that rows about to be inserted into `table` (values in `columns` order) point at."""
    if session.get_bind().dialect.name == "sqlite":
        return
    refs = soft_columns(table)
    positions = {columns.index(name): parent for name, parent in refs.items() if name in columns}
    parents: dict[str, set[int]] = {parent: set() for parent in positions.values()}
    for row in rows:
        for at, parent in positions.items():
            if (value := row[at]) is not None:
                parents[parent].add(value)
    hold(session, parents)


def lock(session: Session, parents: Mapping[str, Iterable[int | None]]) -> None:
    """Lock parent rows about to be deleted (waits for writers that hold them)."""
    _lock(session, parents, "FOR UPDATE")


def release(session: Session, parent: str, ids: Sequence[int]) -> None:
    """Apply every soft reference's delete rule to the rows pointing at these parents (call `lock` first).

    Raises StillReferenced (nothing changed) when a 'restrict' reference finds a row."""
    refs = references_to(parent)
    if not ids or not refs:
        return
    for ref in refs:
        if ref.on_delete == "restrict":
            probe = text(f"SELECT 1 FROM {ref.table} WHERE {ref.column} IN :ids LIMIT 1")
            for chunk in _chunks(ids):
                if session.execute(probe.bindparams(bindparam("ids", expanding=True)), {"ids": chunk}).first():
                    raise StillReferenced(ref)
    for ref in refs:
        if ref.on_delete == "cascade":
            statement = f"DELETE FROM {ref.table} WHERE {ref.column} IN :ids"
        elif ref.on_delete == "set null":
            statement = f"UPDATE {ref.table} SET {ref.column} = NULL WHERE {ref.column} IN :ids"
        else:
            continue
        for chunk in _chunks(ids):
            session.execute(text(statement).bindparams(bindparam("ids", expanding=True)), {"ids": chunk})


def _lock(session: Session, parents: Mapping[str, Iterable[int | None]], mode: str) -> None:
    if session.get_bind().dialect.name == "sqlite":
        return  # one writer at a time: nothing can delete a row this transaction has validated
    for parent in sorted(parents):
        ids = sorted({i for i in parents[parent] if i is not None})
        for chunk in _chunks(ids):
            session.execute(
                text(f"SELECT id FROM {parent} WHERE id = ANY(:ids) ORDER BY id {mode}"), {"ids": chunk}
            ).all()


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])
