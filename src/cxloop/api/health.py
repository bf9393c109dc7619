from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from cxloop import __version__
from cxloop.storage.deps import DatabaseDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(database: DatabaseDep) -> dict[str, str]:
    """Liveness and database reachability; needs no API key."""
    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": database.engine.dialect.name}
