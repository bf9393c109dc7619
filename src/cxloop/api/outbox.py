"""The outbox over the API, for admins: its status and dead letters, retrying them, replaying events.

Beside the domain routers because `jobs` sits below `access` (it cannot import the role checks);
docs/development/events-and-outbox.md."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.access.deps import AdminDep
from cxloop.core.int_bounds import Id
from cxloop.jobs import service as outbox
from cxloop.jobs.schemas import Changed, OutboxStatus, ReplayRequest
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/outbox", tags=["outbox"])


@router.get("", response_model=OutboxStatus)
def outbox_status(session: SessionDep, _: AdminDep) -> OutboxStatus:
    """Deliveries per event, handler and status; the oldest waiting event's age; the newest dead letters."""
    return outbox.outbox_status(session)


@router.post("/retry", response_model=Changed)
def retry_dead(session: SessionDep, _: AdminDep) -> Changed:
    """Every dead delivery runs again (attempts start afresh)."""
    return Changed(count=outbox.retry_dead(session))


@router.post("/deliveries/{delivery_id:int}/retry", response_model=Changed)
def retry_delivery(delivery_id: Id, session: SessionDep, _: AdminDep) -> Changed:
    """One dead delivery runs again; count 0 when it is not dead."""
    return Changed(count=outbox.retry_dead(session, delivery_ids=[delivery_id]))


@router.post("/events/{event_id:int}/replay", response_model=Changed)
def replay_event(event_id: Id, session: SessionDep, _: AdminDep) -> Changed:
    """Hand one event to all its handlers again; count 0 when there is no such event."""
    return Changed(count=outbox.replay_events(session, event_ids=[event_id]))


@router.post("/replay", response_model=Changed)
def replay_events(body: ReplayRequest, session: SessionDep, _: AdminDep) -> Changed:
    """Hand the chosen events (ids, or a name and/or time range) to all their handlers again."""
    return Changed(
        count=outbox.replay_events(
            session, event_ids=body.event_ids, name=body.name, since=body.since, until=body.until
        )
    )
