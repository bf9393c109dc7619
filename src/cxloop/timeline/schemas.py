from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cxloop.core.clock import JsonDateTime


class TimelineEntryRead(BaseModel):
    kind: str = Field(description="response, feedback, event, invitation, case, follow_up, follow_up_reply or consent")
    id: int = Field(description="the row's id within its kind")
    at: JsonDateTime
    summary: str
    links: dict[str, Any] = Field(
        description="ids of related rows; `url` of an invitation for agents and above; a follow-up's status, "
        "channel and sent_at"
    )


class TimelinePageRead(BaseModel):
    items: list[TimelineEntryRead]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page; null on the last page")
