"""The one registry of channel settings an admin may store in the database: each names the Settings field it
replaces, its channel, whether it is a secret (sealed at rest, never shown back), and for the settings page its
label and what a value must look like. The email channel's SMTP server has a form of its own (web/settings_email.py:
host, port, security and login make one URL); the others are typed as they are (a list as items separated by
commas, service.effective splits it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxloop.channels.email.providers import REGISTRY as BOUNCE_PROVIDERS

_ANY_TEXT = r"\S{8,500}"  # a secret: printable, no spaces


def _list_of(item: str) -> str:
    """A pattern of items separated by commas (and spaces), or nothing."""
    return rf"(?:{item}(?:\s*,\s*{item})*)?"


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
        ChannelField(
            "email_bounce_providers",
            "bounces",
            False,
            "Enabled providers",
            _list_of(f"(?:{'|'.join(BOUNCE_PROVIDERS)})"),
            f"names among {', '.join(BOUNCE_PROVIDERS)}, separated by commas; empty: none",
        ),
        ChannelField("email_webhook_secret", "bounces", True, "Shared secret of the generic webhook"),
        ChannelField(
            "ses_topic_arns",
            "bounces",
            False,
            "Amazon SES: SNS topic ARNs",
            _list_of(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}"),
            "topic ARNs like arn:aws:sns:eu-west-1:123456789012:bounces, separated by commas",
        ),
        ChannelField(
            "postmark_webhook_user", "bounces", False, "Postmark: webhook login", r"[^\s:]{1,200}|", "no spaces or ':'"
        ),
        ChannelField("postmark_webhook_password", "bounces", True, "Postmark: webhook password"),
        ChannelField(
            "sendgrid_webhook_public_key",
            "bounces",
            False,
            "SendGrid: verification key",
            r"(?:[A-Za-z0-9+/]{40,1000}={0,2})?",
            "the base64 public key SendGrid shows for the signed Event Webhook",
        ),
        ChannelField("mailgun_webhook_signing_key", "bounces", True, "Mailgun: webhook signing key"),
    )
}
CHANNELS = frozenset(field.channel for field in FIELDS.values())


def of_channel(channel: str) -> list[ChannelField]:
    return [field for field in FIELDS.values() if field.channel == channel]
