from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class WidgetSite(Base):
    """A website or app that embeds the widget with its public `key` (the `data-site-key` of the script tag).

    Requests are accepted only from `allowed_origins` (['*'] for any). `channel` is 'web' or 'in_app': the channel
    of every response the site collects. The feedback button answers `feedback_survey_id`; anonymous visitors are
    prompted at most once per `anonymous_cap_days` (kept in their browser) and only the `anonymous_sampling_rate`
    share of them (identified customers pass the contact policy instead). A site not `enabled` answers its script
    like an unknown key (nothing is shown) until an admin enables it again.
    """

    __tablename__ = "widget_sites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    allowed_origins: Mapped[list[str]] = mapped_column(JsonDoc)
    feedback_survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    anonymous_cap_days: Mapped[int] = mapped_column(Integer)
    anonymous_sampling_rate: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WidgetPromptRule(Base):
    """When a site shows a proactive prompt for a survey: on pages matching `url_match` (a glob over the path, None
    for every page), after `seconds_on_page`, and on the custom event `event` when set (`cxloop.track(...)`), to
    `sampling_rate` of the visitors (the same visitors every time). Rules are tried in `position` order."""

    __tablename__ = "widget_prompt_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("widget_sites.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    url_match: Mapped[str | None] = mapped_column(String(500))
    event: Mapped[str | None] = mapped_column(String(200))
    seconds_on_page: Mapped[int] = mapped_column(Integer)
    sampling_rate: Mapped[float] = mapped_column(Float)
