"""Reading and changing the organisation's branding."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.branding import rules
from cxloop.branding.models import Branding

DEFAULT_COLOUR = "#0b57d0"  # the pages' own blue, used until a colour is set
LOGO_PATH = "/brand/logo"  # public: pages and emails load the logo from here


@dataclass(frozen=True, slots=True)
class Brand:
    """What pages and messages show: plain values, safe to cache and to hand to a sender outside the transaction."""

    organisation_name: str | None = None
    sender_name: str | None = None
    primary_colour: str | None = None
    logo_type: str | None = None
    logo_version: str | None = None

    @property
    def colour(self) -> str:
        return self.primary_colour or DEFAULT_COLOUR

    @property
    def text_on_colour(self) -> str:
        return rules.text_on(self.colour)

    @property
    def from_name(self) -> str | None:
        """The display name of emails: the sender name, else the organisation's name."""
        return self.sender_name or self.organisation_name

    def logo_url(self, base_url: str = "") -> str | None:
        """Where the logo is served; the version in the query changes with the logo, so caches never go stale."""
        if not self.logo_version:
            return None
        return f"{base_url.rstrip('/')}{LOGO_PATH}?v={self.logo_version}"

    def warnings(self) -> list[str]:
        """Problems worth telling the admin, e.g. a colour too pale for buttons on a white page."""
        ratio = rules.contrast(self.colour, "#ffffff")
        if ratio < 3:
            return [
                f"primary_colour {self.colour} has a contrast of {ratio:.1f}:1 on the white page; buttons and their "
                "borders need at least 3:1 to be seen (WCAG 1.4.11): choose a darker colour"
            ]
        return []


NO_BRAND = Brand()
FIELDS = ("organisation_name", "sender_name", "primary_colour")  # what `update` sets (the logo has its own calls)


def _row(session: Session) -> Branding | None:
    return session.scalars(select(Branding).where(Branding.id == 1)).one_or_none()


def _brand(row: Branding | None) -> Brand:
    if row is None:
        return NO_BRAND
    return Brand(
        organisation_name=row.organisation_name,
        sender_name=row.sender_name,
        primary_colour=row.primary_colour,
        logo_type=row.logo_type,
        logo_version=row.logo_version,
    )


def current(session: Session) -> Brand:
    """The branding in effect (empty until an admin sets it)."""
    return _brand(_row(session))


def _row_for_change(session: Session, now: datetime) -> Branding:
    row = _row(session)
    if row is None:
        row = Branding(id=1, updated_at=now)
        session.add(row)
    row.updated_at = now
    return row


def update(session: Session, changes: dict[str, Any], *, now: datetime) -> Brand:
    """Set the given fields (None clears one); values are checked by the caller's schema, colours normalised here."""
    row = _row_for_change(session, now)
    for name in FIELDS:
        if name in changes:
            value = changes[name]
            if name == "primary_colour" and value is not None:
                value = rules.normalise_colour(value)
            setattr(row, name, value or None)
    session.flush()
    return _brand(row)


def set_logo(session: Session, data: bytes, *, now: datetime) -> Brand:
    """Store a new logo (ValueError with the reason when it is not a small PNG, JPEG, GIF or WebP image)."""
    media_type = rules.logo_type(data)
    row = _row_for_change(session, now)
    row.logo, row.logo_type = data, media_type
    row.logo_version = hashlib.sha256(data).hexdigest()[:12]
    session.flush()
    return _brand(row)


def clear_logo(session: Session, *, now: datetime) -> Brand:
    row = _row_for_change(session, now)
    row.logo = row.logo_type = row.logo_version = None
    session.flush()
    return _brand(row)


def logo(session: Session) -> tuple[bytes, str, str] | None:
    """(image, media type, version) of the logo, or None."""
    row = _row(session)
    if row is None or row.logo is None or row.logo_type is None or row.logo_version is None:
        return None
    return row.logo, row.logo_type, row.logo_version
