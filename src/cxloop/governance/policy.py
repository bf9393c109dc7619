"""The contact policy every invitation passes before it is sent (and what it says when it says no).

`decide` is pure: it takes the policy, the customer's consent, their recent invitation history and the moment, and
returns either the channel and the instant to send, or the SuppressionReason. The caller (invitations being
created by triggers or the API) stores suppressed invitations with their reason, so fatigue is measurable.

Sampling and the holdout group are decided by a hash of stable ids, not by a random draw: asking twice (a retried
job, a second worker) gives the same answer, and a holdout customer stays in the holdout for good.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.governance import consent
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import SuppressionReason
from cxloop.governance.models import ContactPolicy

POLICY_ID = 1
DEFAULTS = {
    "max_invitations": 1,
    "window_days": 14,
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "quiet_channels": channels.quiet_by_default(),
    "default_timezone": "UTC",
    "sampling_rate": 1.0,
    "holdout_percent": 0.0,
}
# Channels whose invitations count towards the frequency cap: they reach a person directly; in-product prompts
# (widget) only show while the customer is there.
ADDRESSED = channels.capped()


def current_policy(session: Session) -> ContactPolicy:
    """The organisation's policy, created with the defaults the first time it is asked for."""
    policy = session.get(ContactPolicy, POLICY_ID)
    if policy is None:
        policy = ContactPolicy(id=POLICY_ID, updated_at=utcnow(), **DEFAULTS)
        session.add(policy)
        session.flush()
    return policy


@dataclass(frozen=True)
class Recipient:
    """What the policy needs to know about the customer."""

    customer_id: int
    email: str | None
    phone: str | None
    timezone: str | None
    consent: dict[str, bool]  # consent.states_of(...)[customer_id], {} when none stored


@dataclass(frozen=True)
class History:
    """The customer's invitations that count: sent (or scheduled to be) within the policy window."""

    recent_sent: Sequence[datetime]  # instants of invitations sent or due, any survey, within the window
    last_to_survey: datetime | None  # the latest invitation to this survey (any status but suppressed)
    answered_survey: bool  # the customer has a response to this survey


@dataclass(frozen=True)
class Decision:
    send: bool
    channel: str
    at: datetime  # when to send (moved out of quiet hours)
    reason: SuppressionReason | None = None


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(policy: ContactPolicy, customer_id: int) -> bool:
    """Whether the customer belongs to the permanent holdout group (never invited)."""
    return _fraction("holdout", customer_id) * 100 < policy.holdout_percent


def sampled_in(policy: ContactPolicy, customer_id: int, occurrence: str) -> bool:
    """Whether this occurrence survives the sampling rate (the same answer every time it is asked)."""
    return _fraction("sample", customer_id, occurrence) < policy.sampling_rate


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def after_quiet_hours(policy: ContactPolicy, at: datetime, timezone: str | None) -> datetime:
    """`at` if it is outside the customer's quiet hours, else the end of those quiet hours (as UTC)."""
    tz = _zone(timezone, policy.default_timezone)
    local = at.astimezone(tz)
    start, end = _clock(policy.quiet_start), _clock(policy.quiet_end)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return at
    day = local.date() if now < end else local.date() + timedelta(days=1)
    wake = datetime.combine(day, end, tzinfo=tz)
    return wake.astimezone(at.tzinfo)


def _usable(recipient: Recipient, channel: str) -> SuppressionReason | None:
    if consent.opted_out(recipient.consent, channel):
        return SuppressionReason.opted_out
    if not consent.allowed(recipient.consent, channel):
        return SuppressionReason.no_consent
    spec = channels.get(channel)
    if spec is not None and spec.address_field is not None and not getattr(recipient, spec.address_field):
        return SuppressionReason.no_address
    return None


def decide(
    policy: ContactPolicy,
    *,
    recipient: Recipient,
    channel: str,
    fallbacks: Sequence[str] = (),
    history: History,
    resurvey_days: int,
    allow_multiple: bool,
    occurrence: str,
    at: datetime,
) -> Decision:
    """May this invitation go out, on which channel and when? The first rule that says no gives the reason."""

    def no(reason: SuppressionReason) -> Decision:
        return Decision(False, channel, at, reason)

    if in_holdout(policy, recipient.customer_id):
        return no(SuppressionReason.holdout)
    if history.answered_survey and not allow_multiple:
        return no(SuppressionReason.already_answered)
    if history.last_to_survey is not None and at - history.last_to_survey < timedelta(days=resurvey_days):
        return no(SuppressionReason.resurvey_interval)
    window_start = at - timedelta(days=policy.window_days)
    if channel in ADDRESSED and sum(1 for sent in history.recent_sent if sent > window_start) >= policy.max_invitations:
        return no(SuppressionReason.frequency_cap)
    chosen, first_problem = None, None
    for candidate in (channel, *fallbacks):
        problem = _usable(recipient, candidate)
        if problem is None:
            chosen = candidate
            break
        first_problem = first_problem or problem
    if chosen is None:
        return no(first_problem or SuppressionReason.no_consent)
    if not sampled_in(policy, recipient.customer_id, occurrence):
        return Decision(False, chosen, at, SuppressionReason.sampled_out)
    send_at = after_quiet_hours(policy, at, recipient.timezone) if chosen in policy.quiet_channels else at
    return Decision(True, chosen, send_at)
