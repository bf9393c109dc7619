from enum import StrEnum


class InvitationStatus(StrEnum):
    """Where an invitation is in its life. `suppressed` carries a SuppressionReason."""

    scheduled = "scheduled"  # created, waiting for its send time (or for the worker)
    suppressed = "suppressed"  # the contact policy or consent said no: never sent, kept so fatigue is measurable
    sent = "sent"
    opened = "opened"  # the customer opened the link or the email
    answered = "answered"
    failed = "failed"  # the channel refused it (bounce, provider error)
    expired = "expired"


class Channel(StrEnum):
    """Channels an invitation can go out on."""

    email = "email"
    sms = "sms"
    link = "link"  # a hosted link handed out by the caller (e.g. printed on a receipt)
    widget = "widget"  # a proactive prompt in the web or in-app widget
