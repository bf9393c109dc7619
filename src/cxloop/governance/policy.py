"""The contact policy every invitation passes before it is sent (and what it says when it says no).

`decide` is pure: it takes the policy that applies to the customer (the organisation's default, or the first
segment-scoped policy matching them: governance.scoped_policies), the customer's consent, their recent contacts
and the moment, and returns either the channel and the instant to send, or the SuppressionReason; either way it
names the policy that decided. The caller (invitations being
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.governance import consent
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import SuppressionReason
from cxloop.governance.models import ContactPolicy
from cxloop.governance.purposes import Purpose
from cxloop.surveys.enums import ResponseLimit

DEFAULT_KEY = "default"
# Survey invitations and prompts are research: the consent they need is consent to that purpose.
PURPOSE = Purpose.research
DEFAULTS = {
    "max_invitations": 1,
    "window_days": 14,
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "quiet_channels": channels.quiet_by_default(),
    "default_timezone": "UTC",
    "sampling_rate": 1.0,
    "holdout_percent": 0.0,
    "channel_weights": {},
}


def current_policy(session: Session) -> ContactPolicy:
    """The organisation's default policy, created with the defaults the first time it is asked for."""
    policy = session.scalar(select(ContactPolicy).where(ContactPolicy.key == DEFAULT_KEY))
    if policy is None:
        policy = ContactPolicy(key=DEFAULT_KEY, priority=0, updated_at=utcnow(), **DEFAULTS)
        session.add(policy)
        session.flush()
    return policy


def cap_weight(policy: ContactPolicy, channel: str) -> float:
    """What one contact on `channel` counts towards the policy's frequency cap."""
    weights = policy.channel_weights or {}
    if channel in weights:
        return float(weights[channel])
    spec = channels.get(channel)
    return spec.cap_weight if spec is not None else 0.0


def weights(policy: ContactPolicy) -> dict[str, float]:
    """Every channel's weight under the policy (its own, else the registry's default)."""
    return {name: cap_weight(policy, name) for name in channels.names()}


@dataclass(frozen=True)
class Recipient:
    """What the policy needs to know about the customer."""

    customer_id: int
    email: str | None
    phone: str | None
    timezone: str | None
    consent: consent.States  # consent.states_of(...)[customer_id], {} when none stored


@dataclass(frozen=True)
class History:
    """The customer's contacts that count: sent (or scheduled to be) within the policy window."""

    recent: Sequence[tuple[datetime, str]]  # (instant, channel) of contacts sent or due, any survey, in the window
    last_to_survey: datetime | None  # the latest invitation to this survey (any status but suppressed)
    last_answered: datetime | None  # the customer's latest response to this survey


@dataclass(frozen=True)
class ResponseRule:
    """How often the survey may be answered by one customer (surveys.enums.ResponseLimit)."""

    limit: str = ResponseLimit.once
    period_days: int | None = None


@dataclass(frozen=True)
class Decision:
    send: bool
    channel: str
    at: datetime  # when to send (moved out of quiet hours)
    reason: SuppressionReason | None = None
    policy: str = DEFAULT_KEY  # the key of the policy that decided


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) from a hash of `parts`: the same parts give the same number, on every run and worker."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(policy: ContactPolicy, customer_id: int) -> bool:
    """Whether the customer belongs to the permanent holdout group (never invited)."""
    return stable_fraction("holdout", customer_id) * 100 < policy.holdout_percent


def sampled_in(policy: ContactPolicy, customer_id: int, occurrence: str) -> bool:
    """Whether this occurrence survives the sampling rate (the same answer every time it is asked)."""
    return stable_fraction("sample", customer_id, occurrence) < policy.sampling_rate


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
    if consent.opted_out(recipient.consent, channel, PURPOSE):
        return SuppressionReason.opted_out
    if not consent.allowed(recipient.consent, channel, PURPOSE):
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
    responses: ResponseRule,
    occurrence: str,
    at: datetime,
) -> Decision:
    """May this invitation go out, on which channel and when? The first rule that says no gives the reason."""

    def no(reason: SuppressionReason, on: str = channel) -> Decision:
        return Decision(False, on, at, reason, policy.key)

    if in_holdout(policy, recipient.customer_id):
        return no(SuppressionReason.holdout)
    if (refused := answered_too_recently(responses, history.last_answered, at)) is not None:
        return no(refused)
    if history.last_to_survey is not None and at - history.last_to_survey < timedelta(days=resurvey_days):
        return no(SuppressionReason.resurvey_interval)
    if over_cap(policy, channel, history.recent, at):
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
        return no(SuppressionReason.sampled_out, chosen)
    send_at = after_quiet_hours(policy, at, recipient.timezone) if chosen in policy.quiet_channels else at
    return Decision(True, chosen, send_at, None, policy.key)


def answered_too_recently(rule: ResponseRule, last_answered: datetime | None, at: datetime) -> SuppressionReason | None:
    """Why the survey's response limit refuses another answer from this customer at `at` (None: it does not)."""
    if last_answered is None or rule.limit == ResponseLimit.per_invitation:
        return None
    if rule.limit == ResponseLimit.once:
        return SuppressionReason.already_answered
    if at - last_answered < timedelta(days=rule.period_days or 0):
        return SuppressionReason.answered_in_period
    return None


def over_cap(policy: ContactPolicy, channel: str, recent: Sequence[tuple[datetime, str]], at: datetime) -> bool:
    """Whether a contact on `channel` at `at` would pass the frequency cap: the weighted contacts of the window
    already reach `max_invitations` (a channel weighing 0 is never held back by the cap)."""
    if cap_weight(policy, channel) <= 0:
        return False
    window_start = at - timedelta(days=policy.window_days)
    used = sum(cap_weight(policy, contacted) for sent, contacted in recent if sent > window_start)
    return used >= policy.max_invitations - 1e-9
