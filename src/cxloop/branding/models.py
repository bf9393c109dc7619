"""One row (id 1): the organisation's branding, created empty on first change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, UTCDateTime


class Branding(Base):
    __tablename__ = "branding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_name: Mapped[str | None] = mapped_column(String(120))
    sender_name: Mapped[str | None] = mapped_column(String(120))  # the From name of emails; else the organisation's
    primary_colour: Mapped[str | None] = mapped_column(String(7))  # "#0b57d0"
    # Kept in the database (a few hundred KB at most) so every server process serves the same logo without a shared
    # disk; `logo_version` changes with it and goes into its URL, so caches never show an old logo.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(String(32))
    logo_version: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
