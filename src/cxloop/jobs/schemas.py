"""What the outbox reports: counts per event, handler and status, and the dead letters."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cxloop.core.clock import JsonDateTime, UtcInstant
from cxloop.core.int_bounds import JsonId


class DeliveryCount(BaseModel):
    event: str
    handler: str
    status: str
    count: int


class DeadLetter(BaseModel):
    """A delivery that gave up: which event and handler, how often it was tried, and the last error."""

    delivery_id: int
    event_id: int
    event: str
    handler: str
    attempts: int
    last_error: str | None
    last_duration_ms: int | None
    created_at: JsonDateTime


class OutboxStatus(BaseModel):
    counts: list[DeliveryCount]
    unrelayed_events: int = Field(description="events not yet fanned out to their handlers")
    oldest_pending_seconds: float | None = Field(description="age of the oldest event still waiting for a handler")
    dead: list[DeadLetter]


class ReplayRequest(BaseModel):
    """Which events to hand to their handlers again: by ids, or by name and/or time range."""

    event_ids: list[JsonId] | None = None
    name: str | None = None
    since: UtcInstant | None = None
    until: UtcInstant | None = None


class Changed(BaseModel):
    """How many deliveries (retry) or events (replay) were put back to run."""

    count: int
