"""FastAPI dependency for a request's unit of work. Services never import this module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cxloop.storage.database import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request: committed after the handler returns, rolled back if it raises.

    Deliberately `async` with blocking calls inside: cxloop's transactions are short, and skipping the thread-pool
    hop that a sync dependency costs roughly doubles requests/s on the ingestion path (docs/benchmarks.md).
    """
    with get_database(request).unit_of_work() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is the client's error, not a lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
