"""Webhook and Slack destinations over the API, for admins: register (the secret is shown once), list with health,
test, resume, remove; messages and dead letters, retried by hand (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from cxloop.access.deps import AdminDep
from cxloop.core.clock import utcnow
from cxloop.notifications import service
from cxloop.notifications.enums import MessageStatus
from cxloop.notifications.schemas import (
    Changed,
    DestinationCreate,
    DestinationCreated,
    DestinationRead,
    MessagePage,
    MessageQueued,
    MessageRead,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("", response_model=list[DestinationRead])
def list_destinations(session: SessionDep, _: AdminDep) -> list[DestinationRead]:
    """Every destination with its health: last success and failure, failures in a row, paused, messages waiting."""
    return service.list_destinations(session)


@router.post("", response_model=DestinationCreated, status_code=status.HTTP_201_CREATED)
def create_destination(body: DestinationCreate, session: SessionDep, _: AdminDep) -> DestinationCreated:
    """Register a destination. A webhook's answer holds its signing secret (`whsec_...`): shown this once."""
    return service.create_destination(session, body, now=utcnow())


@router.get("/messages", response_model=MessagePage)
def list_messages(
    session: SessionDep,
    _: AdminDep,
    message_status: Annotated[MessageStatus | None, Query(alias="status")] = None,
    destination_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MessagePage:
    """Messages, newest first; `?status=dead` lists the dead letters."""
    return service.list_messages(
        session, status=message_status, destination_id=destination_id, limit=limit, offset=offset
    )


@router.get("/messages/{message_id}", response_model=MessageRead)
def get_message(message_id: int, session: SessionDep, _: AdminDep) -> MessageRead:
    return service.require_message(session, message_id=message_id)


@router.post("/messages/{message_id}/retry", response_model=Changed)
def retry_message(message_id: int, session: SessionDep, _: AdminDep) -> Changed:
    """One dead message goes again with fresh attempts; count 0 when it is not dead."""
    service.require_message(session, message_id=message_id)
    return Changed(count=service.retry_dead(session, message_ids=[message_id], now=utcnow()))


@router.post("/messages/retry", response_model=Changed)
def retry_dead(session: SessionDep, _: AdminDep, destination_id: int | None = None) -> Changed:
    """Every dead message (or one destination's) goes again with fresh attempts."""
    return Changed(count=service.retry_dead(session, destination_id=destination_id, now=utcnow()))


@router.get("/{destination_id}", response_model=DestinationRead)
def get_destination(destination_id: int, session: SessionDep, _: AdminDep) -> DestinationRead:
    return service.get_destination(session, destination_id=destination_id)


@router.delete("/{destination_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_destination(destination_id: int, session: SessionDep, _: AdminDep) -> None:
    """Remove a destination and its messages."""
    service.remove_destination(session, destination_id=destination_id)


@router.post("/{destination_id}/test", response_model=MessageQueued, status_code=status.HTTP_202_ACCEPTED)
def test_destination(destination_id: int, session: SessionDep, _: AdminDep) -> MessageQueued:
    """Queue a signed `webhook.test` message; the worker sends it (see its outcome in /webhooks/messages/{id})."""
    return service.queue_probe(session, destination_id=destination_id, now=utcnow())


@router.post("/{destination_id}/resume", response_model=DestinationRead)
def resume_destination(destination_id: int, session: SessionDep, _: AdminDep) -> DestinationRead:
    """Resume a paused destination: its waiting messages go at once."""
    return service.resume_destination(session, destination_id=destination_id, now=utcnow())
