"""Invitations through the management API: invite a customer by hand, list what was sent or suppressed and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import AwareDatetime
from sqlalchemy import select

from cxloop.access.deps import AgentDep, ViewerDep
from cxloop.collection.enums import Channel
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError
from cxloop.customers.models import Customer
from cxloop.invitations import service as invitations
from cxloop.invitations.errors import InvalidInvitation
from cxloop.invitations.models import Invitation
from cxloop.invitations.schemas import InvitationCreate, InvitationPage, InvitationRead
from cxloop.invitations.tokens import TokenSigner
from cxloop.journeys.models import Touchpoint
from cxloop.storage.deps import SessionDep
from cxloop.storage.pagination import order_clause, paginate
from cxloop.surveys.models import Survey

router = APIRouter(prefix="/invitations", tags=["invitations"])
_SORTABLE = {name: Invitation.__table__.c[name] for name in ("id", "created_at", "scheduled_for", "status")}


def _read(request: Request, invitation: Invitation) -> InvitationRead:
    read = InvitationRead.model_validate(invitation)
    if invitation.status != "suppressed":
        signer: TokenSigner = request.app.state.signer
        base = request.app.state.settings.public_url.rstrip("/")
        read.url = f"{base}/s/{invitations.token_for(signer, invitation)}"
    return read


@router.post("", response_model=InvitationRead, status_code=status.HTTP_201_CREATED)
def create_invitation(body: InvitationCreate, request: Request, session: SessionDep, _: AgentDep) -> InvitationRead:
    """Invite a customer. The answer is 201 either way: `status` says scheduled (sent by the worker) or suppressed,
    with `reason` (opted_out, frequency_cap, quiet hours moved `scheduled_for`, ...)."""
    survey_id = session.scalar(select(Survey.id).where(Survey.key == body.survey))
    customer_id = session.scalar(select(Customer.id).where(Customer.external_id == body.customer_external_id))
    touchpoint_id = None
    errors = []
    if survey_id is None:
        errors.append(FieldError("survey", f"no survey with key '{body.survey}'"))
    if customer_id is None:
        errors.append(FieldError("customer_external_id", f"no customer with external id '{body.customer_external_id}'"))
    if body.touchpoint is not None:
        touchpoint_id = session.scalar(select(Touchpoint.id).where(Touchpoint.key == body.touchpoint))
        if touchpoint_id is None:
            errors.append(FieldError("touchpoint", f"no touchpoint with key '{body.touchpoint}'"))
    if errors or survey_id is None or customer_id is None:
        raise InvalidInvitation("the invitation names things that do not exist", errors=errors)
    invitation = invitations.invite(
        session,
        invitations.InviteRequest(
            survey_id=survey_id,
            customer_id=customer_id,
            channel=body.channel.value,
            fallbacks=tuple(channel.value for channel in body.fallbacks),
            touchpoint_id=touchpoint_id,
            occurrence_key=body.occurrence_key,
            at=body.send_at,
        ),
    )
    if invitation.channel == Channel.link and invitation.status == "scheduled" and invitation.scheduled_for <= utcnow():
        # Nobody else sends a link invitation: the caller hands the link out now.
        invitations.mark_sent(invitation, detail="link returned by the API")
    invitations.queue_send(session, invitation)
    session.flush()
    return _read(request, invitation)


@router.get("", response_model=InvitationPage)
def list_invitations(
    request: Request,
    session: SessionDep,
    _: ViewerDep,
    survey_id: int | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    invitation_status: Annotated[str | None, Query(alias="status")] = None,
    reason: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    sort: str = "-id",
    limit: int = 50,
    offset: int = 0,
) -> InvitationPage:
    """Invitations, newest first, filtered by survey, customer, channel, status, suppression reason, created time."""
    query = select(Invitation)
    filters = {
        Invitation.survey_id: survey_id,
        Invitation.customer_id: customer_id,
        Invitation.channel: channel,
        Invitation.status: invitation_status,
        Invitation.reason: reason,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Invitation.created_at >= since)
    if until is not None:
        query = query.where(Invitation.created_at < until)
    page = paginate(session, query.order_by(*order_clause(sort, _SORTABLE, "-id")), limit=limit, offset=offset)
    return InvitationPage(
        items=[_read(request, item) for item in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.get("/{invitation_id}", response_model=InvitationRead)
def get_invitation(invitation_id: int, request: Request, session: SessionDep, _: ViewerDep) -> InvitationRead:
    return _read(request, invitations.get(session, invitation_id))
