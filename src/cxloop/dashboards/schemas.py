from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CardRead(BaseModel):
    """A card as the web app draws it: its kind, title and filters (filter bar parameters), in `position` order."""

    id: int
    position: int
    kind: str
    title: str
    filters: dict[str, str]


class DashboardRead(BaseModel):
    """A dashboard with its cards, first card first."""

    id: int
    team_id: int
    name: str
    created_at: datetime
    updated_at: datetime
    cards: list[CardRead]
