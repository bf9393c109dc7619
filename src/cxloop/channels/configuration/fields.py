"""The one registry of channel settings an admin may store in the database: each names the Settings field it
replaces, its channel, whether it is a secret (sealed at rest, never shown back), and for the settings page its
label and what a value must look like. The email channel's SMTP server has a form of its own (web/settings_email.py:
host, port, security and login make one URL); the others are typed as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANY_TEXT = r"\S{8,500}"  # a secret: printable, no spaces


@dataclass(frozen=True)
class ChannelField:
    name: str  # the Settings field, e.g. smtp_url
    channel: str  # email, sms, helpdesk
    secret: bool  # sealed at rest; the page says only whether it is set (an account id: its last four characters)
    label: str = ""
    pattern: str = _ANY_TEXT  # a full match
    wants: str = "8 to 500 characters without spaces"  # said when the pattern does not match

    def refusal(self, value: str) -> str | None:
        """Why the value cannot be stored, or None."""
        return None if re.fullmatch(self.pattern, value) else self.wants


FIELDS: dict[str, ChannelField] = {
    field.name: field
    for field in (
        ChannelField("smtp_url", "email", secret=True),  # it carries the SMTP login and password
        ChannelField("email_from", "email", secret=False),
        ChannelField(
            "sms_account_sid", "sms", True, "Account SID", r"[A-Za-z0-9]{8,64}", "letters and digits, e.g. AC0123…"
        ),
        ChannelField("sms_auth_token", "sms", True, "Auth token"),
        ChannelField(
            "sms_from",
            "sms",
            False,
            "Sender",
            r"\+[1-9][0-9]{6,14}|MG[A-Za-z0-9]{8,62}",
            "a number with its country code (+15017122661) or a Messaging Service SID (MG…)",
        ),
        ChannelField("zendesk_webhook_secret", "helpdesk", True, "Zendesk webhook signing secret"),
        ChannelField("intercom_client_secret", "helpdesk", True, "Intercom client secret"),
        ChannelField("helpdesk_webhook_secret", "helpdesk", True, "Generic helpdesk webhook secret"),
    )
}
CHANNELS = frozenset(field.channel for field in FIELDS.values())


def of_channel(channel: str) -> list[ChannelField]:
    return [field for field in FIELDS.values() if field.channel == channel]
