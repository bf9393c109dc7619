from enum import StrEnum


class SuppressionReason(StrEnum):
    """Why an invitation was not sent. Stored on the invitation, counted by the fatigue report."""

    opted_out = "opted_out"  # the customer opted out of this channel or purpose (or of everything)
    no_consent = "no_consent"  # the channel needs an opt-in (SMS) that the customer never gave
    no_address = "no_address"  # no email / phone to send to
    frequency_cap = "frequency_cap"  # too many invitations in the rolling window, across all surveys
    resurvey_interval = "resurvey_interval"  # invited to (or answered) this survey too recently
    already_answered = "already_answered"  # the survey allows one response per customer, ever (`once`)
    answered_in_period = "answered_in_period"  # answered within the survey's response period (`per_period`)
    quiet_hours = "quiet_hours"  # only when the send cannot wait (otherwise the send is delayed)
    sampled_out = "sampled_out"  # the sampling rate left this one out
    holdout = "holdout"  # the customer is in the permanent holdout group
    survey_closed = "survey_closed"  # the survey is not accepting responses
    bounced = "bounced"  # the address bounced or complained earlier


class ConsentSource(StrEnum):
    """How a consent change arrived."""

    api = "api"
    import_file = "import"
    sms_reply = "sms_reply"  # STOP / START
    unsubscribe_link = "unsubscribe_link"
    list_unsubscribe = "list_unsubscribe"  # the mail client's one-click unsubscribe (RFC 8058)
    bounce = "bounce"
    complaint = "complaint"  # a spam complaint from the mail provider
    widget = "widget"
