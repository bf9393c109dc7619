"""The one registry of channel settings an admin may store in the database: each names the Settings field it
replaces, its channel, and whether it is a secret (sealed at rest, never shown back).

Only the email channel's settings are here today: the SMS provider and the helpdesk webhooks still read theirs from
the environment (the inbound webhooks check signatures before any database read; README, issue 14).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelField:
    name: str  # the Settings field, e.g. smtp_url
    channel: str  # email
    secret: bool  # sealed at rest; the page says only whether it is set


FIELDS: dict[str, ChannelField] = {
    field.name: field
    for field in (
        ChannelField("smtp_url", "email", secret=True),  # it carries the SMTP login and password
        ChannelField("email_from", "email", secret=False),
    )
}
CHANNELS = frozenset(field.channel for field in FIELDS.values())


def of_channel(channel: str) -> list[ChannelField]:
    return [field for field in FIELDS.values() if field.channel == channel]
