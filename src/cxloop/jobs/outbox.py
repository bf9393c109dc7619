"""Write outbox events in the caller's transaction: `emit(session, "response.received", {"response_ids": ids})`.

Plain SQLAlchemy (no Huey), so any service may emit. The event exists exactly when the change that made it commits;
the relay in `cxloop worker` (jobs/relay.py) hands it to the handlers registered for its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.jobs import events
from cxloop.jobs.models import OutboxEvent

_TABLE = cast(Table, OutboxEvent.__table__)


def emit(
    session: Session,
    name: str,
    payload: BaseModel | Mapping[str, Any],
    *,
    catalog: events.EventCatalog = events.catalog,
) -> None:
    """Store event `name` in the session's transaction; KeyError for an unknown name, ValidationError for a payload
    that does not fit its schema."""
    schema = catalog.schema(name)
    checked = payload if isinstance(payload, schema) else schema.model_validate(dict(cast(Mapping[str, Any], payload)))
    session.execute(insert(_TABLE).values(name=name, payload=checked.model_dump(mode="json"), created_at=utcnow()))
