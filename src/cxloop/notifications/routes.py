"""Webhook and Slack destinations over the API, for admins: register (the secret is shown once), list with health,
test, resume, remove; messages and dead letters, retried by hand (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, status

from cxloop.access.deps import ActorDep, AdminDep, ViewerDep
from cxloop.access.schemas import Principal
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.clock import utcnow
from cxloop.core.error_body import error_responses
from cxloop.core.errors import Conflict
from cxloop.core.int_bounds import Count, Id
from cxloop.notifications import digests, service
from cxloop.notifications.enums import MessageStatus
from cxloop.notifications.schemas import (
    Changed,
    DestinationCreate,
    DestinationCreated,
    DestinationRead,
    DigestPreferenceIn,
    DigestPreferenceRead,
    MessagePage,
    MessageQueued,
    MessageRead,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
people_router = APIRouter(prefix="/users", tags=["digests"])
me_router = APIRouter(prefix="/me", tags=["digests"])  # the caller's own preferences, any role


def _host(url: str) -> str:
    """Where a destination sends, for the audit log: the host only (a Slack webhook URL's path is its secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else parts.scheme


@router.get("", response_model=list[DestinationRead])
def list_destinations(session: SessionDep, _: AdminDep) -> list[DestinationRead]:
    """Every destination with its health: last success and failure, failures in a row, paused, messages waiting."""
    return service.list_destinations(session)


@router.post("", response_model=DestinationCreated, status_code=status.HTTP_201_CREATED)
def create_destination(
    body: DestinationCreate, session: SessionDep, _: AdminDep, actor: ActorDep
) -> DestinationCreated:
    """Register a destination. A webhook's answer holds its signing secret (`whsec_...`): shown this once."""
    made = service.create_destination(session, body, now=utcnow())
    # Where data leaves the system: recorded (never the secret: audit redacts fields named like one).
    after = {"kind": made.kind, "host": _host(made.url), "events": made.events}
    audit.record(session, actor=actor, action=AuditAction.webhook_created, target_id=made.id, after=after)
    return made


@router.get("/messages", response_model=MessagePage)
def list_messages(
    session: SessionDep,
    _: AdminDep,
    message_status: Annotated[MessageStatus | None, Query(alias="status")] = None,
    destination_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Count, Query()] = 0,
) -> MessagePage:
    """Messages, newest first; `?status=dead` lists the dead letters."""
    return service.list_messages(
        session, status=message_status, destination_id=destination_id, limit=limit, offset=offset
    )


@router.get("/messages/{message_id:int}", response_model=MessageRead)
def get_message(message_id: Id, session: SessionDep, _: AdminDep) -> MessageRead:
    return service.require_message(session, message_id=message_id)


@router.post("/messages/{message_id:int}/retry", response_model=Changed)
def retry_message(message_id: Id, session: SessionDep, _: AdminDep) -> Changed:
    """One dead message goes again with fresh attempts; count 0 when it is not dead."""
    service.require_message(session, message_id=message_id)
    return Changed(count=service.retry_dead(session, message_ids=[message_id], now=utcnow()))


@router.post("/messages/retry", response_model=Changed)
def retry_dead(session: SessionDep, _: AdminDep, destination_id: Id | None = None) -> Changed:
    """Every dead message (or one destination's) goes again with fresh attempts."""
    return Changed(count=service.retry_dead(session, destination_id=destination_id, now=utcnow()))


@router.get("/{destination_id:int}", response_model=DestinationRead)
def get_destination(destination_id: Id, session: SessionDep, _: AdminDep) -> DestinationRead:
    return service.get_destination(session, destination_id=destination_id)


@router.delete("/{destination_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def remove_destination(destination_id: Id, session: SessionDep, _: AdminDep, actor: ActorDep) -> None:
    """Remove a destination and its messages."""
    found = service.get_destination(session, destination_id=destination_id)
    service.remove_destination(session, destination_id=destination_id)
    before = {"kind": found.kind, "host": _host(found.url)}
    audit.record(session, actor=actor, action=AuditAction.webhook_removed, target_id=destination_id, before=before)


@router.post("/{destination_id:int}/test", response_model=MessageQueued, status_code=status.HTTP_202_ACCEPTED)
def test_destination(destination_id: Id, session: SessionDep, _: AdminDep) -> MessageQueued:
    """Queue a signed `webhook.test` message; the worker sends it (see its outcome in /webhooks/messages/{id})."""
    return service.queue_probe(session, destination_id=destination_id, now=utcnow())


@router.post("/{destination_id:int}/resume", response_model=DestinationRead)
def resume_destination(destination_id: Id, session: SessionDep, _: AdminDep, actor: ActorDep) -> DestinationRead:
    """Resume a paused destination: its waiting messages go at once."""
    resumed = service.resume_destination(session, destination_id=destination_id, now=utcnow())
    audit.record(session, actor=actor, action=AuditAction.webhook_resumed, target_id=destination_id)
    return resumed


@people_router.get("/{user_id:int}/digest", response_model=DigestPreferenceRead)
def get_digest_preference(user_id: Id, session: SessionDep, _: AdminDep) -> DigestPreferenceRead:
    """Whether the user gets their teams' weekly digest (docs/digests.md); `chosen` false: the default."""
    return digests.preference(session, user_id=user_id)


@people_router.put("/{user_id:int}/digest", response_model=DigestPreferenceRead)
def set_digest_preference(
    user_id: Id, body: DigestPreferenceIn, session: SessionDep, _: AdminDep, actor: ActorDep
) -> DigestPreferenceRead:
    """Send the user their teams' weekly digest, or stop (leads get it unless they opt out)."""
    return digests.choose(session, user_id=user_id, weekly_digest=body.weekly_digest, actor=actor, now=utcnow())


def _own_user(principal: Principal) -> int:
    if principal.user_id is None:
        raise Conflict(
            "this API key belongs to no user (it was made by `cxloop api-key create` or in the settings): "
            "use a key of your own, the web app's account page, or an admin's PUT /users/{id}/digest"
        )
    return principal.user_id


@me_router.get("/digest", response_model=DigestPreferenceRead, responses=error_responses(409))
def get_my_digest_preference(session: SessionDep, principal: ViewerDep) -> DigestPreferenceRead:
    """Whether the key's own user gets their teams' weekly digest (any role); 409 for a key of no user."""
    return digests.preference(session, user_id=_own_user(principal))


@me_router.put("/digest", response_model=DigestPreferenceRead)
def set_my_digest_preference(
    body: DigestPreferenceIn, session: SessionDep, principal: ViewerDep, actor: ActorDep
) -> DigestPreferenceRead:
    """Opt the key's own user in or out of their teams' weekly digest (any role); 409 for a key of no user."""
    user_id = _own_user(principal)
    return digests.choose(session, user_id=user_id, weekly_digest=body.weekly_digest, actor=actor, now=utcnow())
