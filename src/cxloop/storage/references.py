"""Soft references: columns of a hot table that point at another table without a database foreign key.

A foreign key is checked row by row: on PostgreSQL each inserted row runs one locking SELECT per key (about 5-8 µs
each, and the lock writes to the parent row), and the five keys of `responses` cost more than the insert itself
(docs/benchmarks.md). The hot tables keep these references in the application instead, with the same guarantees:

- A writer `hold`s the parent tables at the start of its transaction, then validates the ids it writes (they
  exist) and inserts. On PostgreSQL holding is one shared advisory lock per parent table: writers never wait for
  each other, and a few microseconds per transaction replace a locking SELECT per row and key.
- A service deleting parent rows first `lock`s their table: an exclusive advisory lock, which waits for the
  writers holding it and keeps new ones waiting until the deletion commits. Then it `release`s the rows before its
  DELETE: each soft reference's rule runs (cascade, set null or restrict), as ON DELETE would.
- SQLite runs one writer at a time, so neither is needed there.

So a writer either validates after a deletion committed (and sees the parent gone) or finishes before the deletion
looks for rows to cascade to. Tables are always locked in alphabetical order, by writers and deleters alike, so the
two never wait on each other in a cycle. Deletions are rare and short; ingestion waits for them, never the reverse.
A column declares its reference with `soft_reference(...)` as its `info`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
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


def hold(session: Session, parents: Iterable[str]) -> None:
    """Keep rows of these parent tables from being deleted until this transaction ends (call before validating)."""
    _advisory(session, parents, "pg_advisory_xact_lock_shared")


def hold_parents_of(session: Session, table: str) -> None:
    """`hold` every table that `table`'s soft references point at."""
    hold(session, set(soft_columns(table).values()))


def missing(session: Session, parent: str, ids: Iterable[int]) -> set[int]:
    """The ids that have no row in `parent` (call after `hold`, so none can go missing later in the transaction)."""
    return missing_in(session, {parent: ids})[parent]


def missing_in(session: Session, wanted: Mapping[str, Iterable[int]]) -> dict[str, set[int]]:
    """`missing` for several parent tables in one round trip (the write path checks three per transaction): one
    count per table; the ids themselves are read only for a table whose count falls short (a rare race)."""
    ids = {parent: sorted(set(values)) for parent, values in wanted.items()}
    result: dict[str, set[int]] = {parent: set() for parent in ids}
    asked = [parent for parent in ids if ids[parent]]
    if not asked:
        return result
    sqlite = session.get_bind().dialect.name == "sqlite"
    params: dict[str, str] = {}
    wheres: dict[str, str] = {}
    for n, parent in enumerate(asked):
        if sqlite:
            wheres[parent] = f"id IN (SELECT value FROM json_each(:ids{n}))"
            params[f"ids{n}"] = orjson.dumps(ids[parent]).decode()
        else:  # an array literal: psycopg adapts a list of Python ints element by element, in Python
            wheres[parent] = f"id = ANY(CAST(:ids{n} AS bigint[]))"
            params[f"ids{n}"] = "{" + ",".join(map(str, ids[parent])) + "}"
    counts = ", ".join(f"(SELECT count(*) FROM {parent} WHERE {wheres[parent]})" for parent in asked)
    found = session.execute(text(f"SELECT {counts}"), params).one()
    for n, parent in enumerate(asked):
        if found[n] != len(ids[parent]):
            present = session.execute(text(f"SELECT id FROM {parent} WHERE {wheres[parent]}"), params).scalars()
            result[parent] = set(ids[parent]) - set(present)
    return result


def lock(session: Session, parents: Iterable[str]) -> None:
    """Before deleting rows of these parent tables: wait for the writers holding them, and keep new ones out."""
    _advisory(session, parents, "pg_advisory_xact_lock")


def release(session: Session, parent: str, ids: Sequence[int]) -> None:
    """Apply every soft reference's delete rule to the rows pointing at these parents (`lock` their table first).

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


def _advisory(session: Session, tables: Iterable[str], function: str) -> None:
    if session.get_bind().dialect.name == "sqlite":
        return  # one writer at a time: nothing can delete a row this transaction has validated
    keys = [_lock_key(table) for table in sorted(set(tables))]
    if keys:  # one statement; the select list is evaluated left to right, so the order holds
        session.execute(text("SELECT " + ", ".join(f"{function}({key})" for key in keys)))


def _lock_key(table: str) -> int:
    """A stable 64-bit advisory lock key per table (Python's hash() differs between processes)."""
    return int.from_bytes(
        hashlib.blake2b(f"cxloop.references.{table}".encode(), digest_size=8).digest(), "big", signed=True
    )


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])
