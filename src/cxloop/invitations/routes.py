"""Invitations through the management API: invite a customer by hand, list what was sent or suppressed and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from cxloop.access.deps import AgentDep, ViewerDep
from cxloop.access.enums import Role
from cxloop.access.schemas import Principal
from cxloop.core.int_bounds import Count, Id, Limit
from cxloop.core.time_range import TimeRangeDep
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.invitations.schemas import InvitationCreate, InvitationPage, InvitationRead
from cxloop.invitations.timeline import AnswerLink
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/invitations", tags=["invitations"])


# The link carries the invitation's token: whoever holds it answers as the customer, so only agents and above see it.
LINK_ROLE = Role.agent


def answer_link(request: Request, principal: Principal) -> AnswerLink | None:
    """How the caller sees an invitation's answer link: None when their role may not act as the customer."""
    if not principal.role.includes(LINK_ROLE):
        return None
    signer: TokenSigner = request.app.state.signer
    base = request.app.state.settings.public_url.rstrip("/")
    return lambda invitation: f"{base}/s/{invitations.token_for(signer, invitation)}"


def _read(request: Request, invitation: Invitation, principal: Principal) -> InvitationRead:
    read = InvitationRead.model_validate(invitation)
    link = answer_link(request, principal)
    if invitation.status != "suppressed" and link is not None:
        read.url = link(invitation)
    return read


@router.post("", response_model=InvitationRead, status_code=status.HTTP_201_CREATED)
def create_invitation(
    body: InvitationCreate, request: Request, session: SessionDep, principal: AgentDep
) -> InvitationRead:
    """Invite a customer. The answer is 201 either way: `status` says scheduled (sent by the worker) or suppressed,
    with `reason` (opted_out, frequency_cap, quiet hours moved `scheduled_for`, ...)."""
    return _read(request, invitations.create_invitation(session, data=body), principal)


@router.get("", response_model=InvitationPage)
def list_invitations(
    request: Request,
    session: SessionDep,
    principal: ViewerDep,
    window: TimeRangeDep,
    survey_id: Id | None = None,
    customer_id: Id | None = None,
    channel: str | None = None,
    invitation_status: Annotated[str | None, Query(alias="status")] = None,
    reason: str | None = None,
    delivery_status: str | None = None,
    sort: str = "-id",
    limit: Limit = 50,
    offset: Count = 0,
) -> InvitationPage:
    """Invitations, newest first, filtered by survey, customer, channel, status, suppression reason, reported
    delivery status (delivered, undelivered, bounced, ...), created time."""
    page = invitations.list_invitations(
        session,
        survey_id=survey_id,
        customer_id=customer_id,
        channel=channel,
        status=invitation_status,
        reason=reason,
        delivery_status=delivery_status,
        since=window.since,
        until=window.until,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return InvitationPage(
        items=[_read(request, item, principal) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{invitation_id:int}", response_model=InvitationRead)
def get_invitation(invitation_id: Id, request: Request, session: SessionDep, principal: ViewerDep) -> InvitationRead:
    return _read(request, invitations.get(session, invitation_id), principal)
