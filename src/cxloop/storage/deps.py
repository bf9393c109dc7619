"""FastAPI dependencies for a request's unit of work. Services never import this module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cxloop.storage.async_database import AsyncDatabase
from cxloop.storage.database import Database

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_async_database(request: Request) -> AsyncDatabase:
    """For async handlers: reads in the thread pool, writes on the process's writer (never on the event loop)."""
    database: AsyncDatabase = request.app.state.async_database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed after the handler returns, rolled back if it raises.

    Sync, so FastAPI opens and commits it in the thread pool, never on the event loop. A POST, PUT, PATCH or DELETE
    takes the write lock with its first statement (BEGIN IMMEDIATE): on SQLite a transaction that reads and then
    writes would otherwise fail with "database is locked" when another writer committed in between. Not earlier:
    the API key lookup, a dependency resolved after this one, may write too.
    """
    write = request.method not in _READ_METHODS
    with get_database(request).unit_of_work(write=write, lock_when_used=True) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is the client's error, not a lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
