"""The audit log over the API, for admins (read only: entries are never edited or deleted here); docs/audit.md.

Beside the domain routers because `audit` sits below `access` (every domain records into it, so it cannot import
the role checks)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from cxloop.access.deps import AdminDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditEntryPage
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditEntryPage)
def list_audit_entries(
    session: SessionDep,
    _: AdminDep,
    since: Annotated[datetime | None, Query(description="Entries at or after this instant (with a timezone).")] = None,
    until: Annotated[datetime | None, Query(description="Entries before this instant (with a timezone).")] = None,
    actor: Annotated[str | None, Query(description="`api_key:<id>`, `cli:<os user>`, `anonymous`, or a kind.")] = None,
    action: AuditAction | None = None,
    target_type: Annotated[str | None, Query(max_length=64)] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[Id | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
) -> AuditEntryPage:
    """Who did what, when and from where, newest first (docs/audit.md lists the actions)."""
    return audit.list_entries(
        session,
        since=since,
        until=until,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        cursor=cursor,
        limit=limit,
    )
