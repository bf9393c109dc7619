"""A team's dashboards and their cards, in order. A card stores its kind (a key of web/cards.py's registry) and its
filters as the query-string parameters of web/filters.py, so the web app reads them as it reads a page's address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Dashboard(Base):
    """A named dashboard of one team: its lead and members arrange it, everyone signed in reads it."""

    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DashboardCard(Base):
    """One card of a dashboard: `position` orders the cards (0 first, no gaps), `filters` maps a filter bar
    parameter (range, start, end, segment, stage, touchpoint, channel, survey, metric) to its value."""

    __tablename__ = "dashboard_cards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    filters: Mapped[dict[str, str]] = mapped_column(JsonDoc, default=dict)
