from enum import StrEnum


class CaseStatus(StrEnum):
    """Where a case is in its life (the transitions between them: cases/rules.py)."""

    new = "new"
    acknowledged = "acknowledged"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class CaseAction(StrEnum):
    """What may be done to a case's status (POST /cases/{id}/<action>)."""

    acknowledge = "acknowledge"
    start = "start"
    resolve = "resolve"
    close = "close"
    reopen = "reopen"


class CasePriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TriggerSource(StrEnum):
    """What kind of feedback opened or joined a case."""

    response = "response"
    feedback = "feedback"


class ActivityKind(StrEnum):
    """One line of a case's activity log."""

    opened = "opened"
    routed = "routed"
    feedback_attached = "feedback_attached"
    status = "status"
    assigned = "assigned"
    updated = "updated"
    note = "note"
    response = "response"  # a reply to the customer (sets first_response_at)
    sla_warning = "sla_warning"
    sla_breached = "sla_breached"
    escalated = "escalated"
    verification_sent = "verification_sent"  # the re-survey after resolution was scheduled (or suppressed)
    verification_answered = "verification_answered"  # the customer answered it: before and after scores
    verification_cancelled = "verification_cancelled"  # the case was reopened before the re-survey was sent
    follow_up_sent = "follow_up_sent"  # a templated message reached the customer's provider (cases.service.follow_ups)
    follow_up_failed = "follow_up_failed"  # refused for good, or given up after its retries
    customer_reply = "customer_reply"  # the customer answered a follow-up (email reply or SMS)
    improvement_announced = "improvement_announced"  # "you asked, we fixed it" was sent for this case


class SlaClock(StrEnum):
    """The three SLA clocks of a case: each stops when its moment is recorded."""

    acknowledge = "acknowledge"
    first_response = "first_response"
    close = "close"


class SlaMarkKind(StrEnum):
    warning = "warning"
    breach = "breach"


class VerificationStatus(StrEnum):
    """Where a case's re-survey is (cases/service/verification.py)."""

    scheduled = "scheduled"  # an invitation was made; the invitation says whether it was sent
    suppressed = "suppressed"  # the contact policy or consent said no (`reason`)
    skipped = "skipped"  # nothing to ask: no scored feedback, no survey, or re-surveys off (`reason`)
    answered = "answered"


class FollowUpChannel(StrEnum):
    """The channels (of collection.enums.Channel) that carry a follow-up to the customer."""

    email = "email"
    sms = "sms"


class FollowUpStatus(StrEnum):
    """Where a follow-up message is: waiting to be sent (or retried), handed to the provider, or failed for good."""

    queued = "queued"
    sent = "sent"
    failed = "failed"
