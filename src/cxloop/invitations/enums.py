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


class DeliveryStatus(StrEnum):
    """What a provider reported after handing the message over (SMS status callbacks, email bounce webhooks)."""

    queued = "queued"
    sending = "sending"
    sent = "sent"
    deferred = "deferred"  # a soft (temporary) email bounce: the mail server keeps trying
    delivered = "delivered"
    undelivered = "undelivered"  # the carrier could not deliver the SMS
    failed = "failed"  # the SMS could not be sent at all
    canceled = "canceled"
    bounced = "bounced"  # a hard email bounce
    read = "read"
    complained = "complained"  # the recipient marked the email as spam
