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
