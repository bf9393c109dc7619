"""Privacy requests and retention (/api/v1/privacy/..., admin role): exports, erasures and retention policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from cxloop.access.deps import ActorDep, AdminDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.config import Settings
from cxloop.core.int_bounds import Count
from cxloop.privacy import service as privacy
from cxloop.privacy.cleanup import finish_erasure
from cxloop.privacy.enums import ExportFormat
from cxloop.privacy.schemas import (
    CustomerExport,
    ErasureCreate,
    ErasurePage,
    ErasureRead,
    RetentionKindRead,
    RetentionPolicyUpdate,
    RetentionRun,
)
from cxloop.privacy.summary import erasure_entry, render_text
from cxloop.storage.deps import DatabaseDep, SessionDep

router = APIRouter(prefix="/privacy", tags=["privacy"])
_CUSTOMER = Query(min_length=1, max_length=320, description="cxloop id, external id or email")


@router.post("/exports", response_model=CustomerExport)
def export_customer(
    session: SessionDep,
    _: AdminDep,
    actor: ActorDep,
    customer: Annotated[str, _CUSTOMER],
    format: ExportFormat = ExportFormat.json,  # noqa: A002 - the public name of the parameter
) -> CustomerExport | PlainTextResponse:
    """Everything held about one person (access request): JSON, or a readable summary with format=text."""
    export = privacy.export_customer(session, reference=customer)
    # The customer by cxloop id only: entries outlive an erasure, so they never hold a name, email or phone.
    audit.record(session, actor=actor, action=AuditAction.privacy_exported, target_id=export.customer_id)
    if format is ExportFormat.text:
        return PlainTextResponse(render_text(export))
    return export


@router.post("/erasures", response_model=ErasureRead, status_code=status.HTTP_201_CREATED)
def erase_customer(
    body: ErasureCreate, request: Request, database: DatabaseDep, who: AdminDep, actor: ActorDep
) -> ErasureRead:
    """Erase one person everywhere (irreversible); the record says who asked, when and what went."""
    requested_by = f"api-key:{who.name}" + (f" (#{who.api_key_id})" if who.api_key_id else "")
    with database.unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference=body.customer, requested_by=requested_by)
        audit.record(session, actor=actor, action=AuditAction.privacy_erased, **erasure_entry(erasure.record))
    settings: Settings = request.app.state.settings
    finish_erasure(database, settings, erasure)
    return erasure.record


@router.get("/erasures", response_model=ErasurePage)
def list_erasures(
    session: SessionDep, _: AdminDep, limit: int = Query(50, ge=1, le=500), offset: Count = 0
) -> ErasurePage:
    """Erasure records, newest first (none of the erased data is kept)."""
    return privacy.list_erasures(session, limit=limit, offset=offset)


@router.get("/retention", response_model=list[RetentionKindRead])
def list_retention(session: SessionDep, _: AdminDep) -> list[RetentionKindRead]:
    """Every data kind, the actions it allows and its retention policy."""
    return privacy.list_retention(session)


@router.put("/retention/{kind}", response_model=RetentionKindRead)
def set_retention_policy(
    kind: str, body: RetentionPolicyUpdate, session: SessionDep, _: AdminDep, actor: ActorDep
) -> RetentionKindRead:
    """Keep rows of this kind for keep_days, then delete or anonymise them (the worker applies it hourly)."""
    read = privacy.set_retention_policy(session, kind=kind, data=body)
    changes = {"keep_days": body.keep_days, "action": body.action}
    audit.record(session, actor=actor, action=AuditAction.retention_policy_changed, target_id=kind, changes=changes)
    return read


@router.delete("/retention/{kind}", status_code=status.HTTP_204_NO_CONTENT)
def delete_retention_policy(kind: str, session: SessionDep, _: AdminDep, actor: ActorDep) -> Response:
    """Remove the policy: rows of this kind are kept forever again."""
    privacy.delete_retention_policy(session, kind=kind)
    changes = {"keep_days": None}
    audit.record(session, actor=actor, action=AuditAction.retention_policy_changed, target_id=kind, changes=changes)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/retention/runs", response_model=RetentionRun)
def run_retention(session: SessionDep, _: AdminDep, actor: ActorDep, dry_run: bool = True) -> RetentionRun:
    """Apply every policy now (up to 5,000 rows per kind; the worker does the rest), or with dry_run (the default)
    only count the rows each would touch."""
    run = privacy.apply_retention(session, dry_run=dry_run)
    if not dry_run:
        audit.record(session, actor=actor, action=AuditAction.retention_run, changes=run.model_dump(mode="json"))
    return run
