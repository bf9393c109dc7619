"""The audit entry of a replaced list of case configuration (routing rules, SLA policies), in the caller's
transaction: one recipe for the API (cases/routes.py) and the web app's settings (web/settings_sla.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor


def record_replaced_list(
    session: Session, *, actor: AuditActor, action: AuditAction, before: Sequence[BaseModel], after: Sequence[BaseModel]
) -> None:
    """A replaced list, before and after: its stored rows only (the built-in SLA default has no id), ids left out
    (each replace stores new rows)."""

    def fields(items: Sequence[BaseModel]) -> list[dict[str, Any]]:
        rows = [item.model_dump(mode="json") for item in items]
        return [{k: v for k, v in row.items() if k != "id"} for row in rows if row["id"] is not None]

    audit.record(session, actor=actor, action=action, before={"items": fields(before)}, after={"items": fields(after)})
