"""INSERT statements with ON CONFLICT for whichever database the session talks to (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Table | Any) -> Any:
    """An `insert(table)` that offers `on_conflict_do_nothing` / `on_conflict_do_update` on both databases."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite_insert(table)
    return postgresql_insert(table)
