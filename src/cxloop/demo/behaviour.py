"""The experience -> score -> outcome model: how what happens to a customer shows in their answers and their churn.

Every function here is pure given its random source. The planted relationships (docs/demo.md) are:
- onboarding CES falls with the customer's onboarding friction (a latent trait, higher for SMB);
- support CSAT falls with wait time, transfers and reopens, and rises with the agent's skill;
- delivery CSAT falls when an order is late (more so the later it is) or damaged;
- NPS follows the customer's accumulated experience ("mood", recent events weigh most), dips during the billing
  migration, and rises with product fit;
- SMB churn rises sharply after poor onboarding and with a bad mood (so detractors churn more than promoters);
  enterprise accounts churn at their renewal when their contacts are unhappy, and expand when they are happy.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def score(value: float, low: int, high: int) -> int:
    """A latent value rounded onto a survey scale."""
    return int(round(clamp(value, low, high)))


def rated(rng: random.Random, value: float, low: int, high: int, *, floor_below: float = 0.55) -> int:
    """How a respondent puts a latent value on the scale: real score distributions are J-shaped, not bell-shaped.

    Unhappy respondents often go straight to the bottom (the spike at NPS 0-1, CSAT 1), the more so the unhappier,
    and happy ones to the top (NPS 10, CSAT 5); the rest round their feeling.
    """
    position = (value - low) / (high - low)
    if position < floor_below and rng.random() < clamp((floor_below - position) * 2.2, 0.0, 0.75):
        return low + 1 if high - low >= 10 and rng.random() < 0.3 else low
    if position > 0.78 and rng.random() < clamp((position - 0.78) * 3.0, 0.0, 0.6):
        return high
    return score(value, low, high)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means used here are small."""
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def arrivals(rng: random.Random, start: datetime, end: datetime, per_month: float) -> list[datetime]:
    """Instants of a Poisson process with `per_month` events per 30 days between `start` and `end`."""
    if per_month <= 0 or end <= start:
        return []
    found: list[datetime] = []
    at = start
    mean_gap_days = 30.0 / per_month
    while True:
        at += timedelta(days=rng.expovariate(1.0 / mean_gap_days))
        if at >= end:
            return found
        found.append(at)


# --- onboarding -------------------------------------------------------------------------------------------------


def onboarding_ces(rng: random.Random, *, friction: float, harshness: float) -> float:
    """Latent 'how easy was it to set up' on the 1-7 CES scale."""
    return 6.7 - 4.9 * friction - 0.35 * harshness + rng.gauss(0, 0.7)


def activates(rng: random.Random, *, friction: float) -> bool:
    """Whether the customer ever gets to first use (high friction makes some give up)."""
    return rng.random() > 0.03 + 0.25 * friction**2


def hours_to_first_use(rng: random.Random, *, friction: float) -> float:
    return 0.5 + rng.expovariate(1.0) * (2 + 200 * friction**3)


# --- support ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketHandling:
    """How one support ticket went."""

    wait_minutes: int
    transfers: int
    reopens: int
    resolution_hours: float


def handle_ticket(
    rng: random.Random, *, smb: bool, staffed_up: bool, billing_crunch: bool, bug: bool
) -> TicketHandling:
    """Waits shrink after the staffing change; billing queues clog during the migration."""
    median = (150 if smb else 70) * (0.3 if staffed_up else 1.0) * (1.8 if billing_crunch else 1.0)
    wait = max(1, int(median * rng.lognormvariate(0, 0.85)))
    transfers = poisson(rng, 0.15 if staffed_up else 0.35) + (poisson(rng, 0.6) if billing_crunch else 0)
    reopens = poisson(rng, 0.12 + (0.25 if bug else 0.0))
    resolution = wait / 60 + rng.expovariate(1 / 5.0) + reopens * rng.uniform(20, 60)
    return TicketHandling(wait, transfers, reopens, round(resolution, 1))


def support_csat(rng: random.Random, ticket: TicketHandling, *, agent_skill: float, harshness: float) -> float:
    """Latent satisfaction with one solved ticket, 1-5."""
    return (
        5.1
        - 0.6 * math.log1p(ticket.wait_minutes / 60)
        - 0.45 * ticket.transfers
        - 0.7 * ticket.reopens
        + agent_skill
        - 0.3 * harshness
        + rng.gauss(0, 0.5)
    )


# --- delivery ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """How one order arrived."""

    days_late: int
    damaged: bool

    @property
    def on_time(self) -> bool:
        return self.days_late == 0


def deliver(rng: random.Random, *, remote: bool) -> Delivery:
    late = rng.random() < (0.17 if remote else 0.1)
    days_late = 1 + min(6, poisson(rng, 1.0)) if late else 0
    return Delivery(days_late=days_late, damaged=rng.random() < 0.03)


def delivery_csat(rng: random.Random, delivery: Delivery, *, harshness: float) -> float:
    """Latent satisfaction with one delivery, 1-5."""
    value = 4.7 - 0.3 * harshness + rng.gauss(0, 0.5)
    if delivery.days_late:
        value -= 0.8 + 0.35 * delivery.days_late
    if delivery.damaged:
        value -= 1.7
    return value


# --- relationship -----------------------------------------------------------------------------------------------


def relationship_nps(
    rng: random.Random, *, mood: float, fit: float, harshness: float, migration: bool, incident: bool = False
) -> float:
    """Latent likelihood to recommend, 0-10, from accumulated experience (`mood`) and product fit; answered in the
    middle of the billing migration or of the outage week, it is lower still."""
    crisis = (1.1 if migration else 0.0) + (1.8 if incident else 0.0)
    return 7.8 + 1.0 * mood + 0.9 * fit - 0.7 * harshness - crisis + rng.gauss(0, 1.0)


def smb_monthly_churn(*, mood: float, fit: float, poor_onboarding: bool, starter: bool, unpaid: bool) -> float:
    """Chance an active SMB customer cancels in the coming month."""
    hazard = 0.024 * math.exp(-1.0 * mood - 0.5 * fit)
    hazard *= 3.0 if poor_onboarding else 1.0
    hazard *= 1.35 if starter else 1.0
    hazard *= 2.0 if unpaid else 1.0
    return clamp(hazard, 0.0, 0.6)


def account_churn_chance(mean_nps: float) -> float:
    """Chance an enterprise account leaves at its renewal, from its contacts' mean latent NPS."""
    return 1 / (1 + math.exp(1.8 + 1.1 * (mean_nps - 7.5)))


def renewal_uplift(rng: random.Random, mean_nps: float) -> float:
    """ARR change at renewal: happy accounts buy more seats, unhappy ones negotiate down."""
    return clamp(0.03 + 0.05 * (mean_nps - 7.0) + rng.gauss(0, 0.05), -0.2, 0.35)


# --- answering --------------------------------------------------------------------------------------------------

# Base answer rates by (survey, channel); multiplied by the customer's responsiveness (mean about 0.43). Real
# programmes see 10-30 % of invitations answered: in-product prompts most, links shared in a newsletter least.
ANSWER_RATES = {
    ("onboarding_ces", "in_app"): 0.62,
    ("onboarding_ces", "email"): 0.36,
    ("support_csat", "email"): 0.5,
    ("support_csat", "sms"): 0.52,
    ("delivery_csat", "sms"): 0.36,
    ("delivery_csat", "email"): 0.27,
    ("relationship_nps", "email"): 0.5,
    ("relationship_nps", "link"): 0.3,
}


def answers(rng: random.Random, *, survey: str, channel: str, responsiveness: float, extremity: float) -> bool:
    """Whether an invited customer answers; very good and very bad experiences get answered more often."""
    chance = responsiveness * ANSWER_RATES[(survey, channel)] * (0.75 + 0.6 * extremity)
    return rng.random() < clamp(chance, 0.01, 0.8)


def answer_delay(rng: random.Random, channel: str) -> timedelta:
    """How long after the invitation the answer comes in."""
    if channel == "in_app":
        return timedelta(minutes=rng.uniform(0.3, 8))
    if channel == "sms":
        return timedelta(minutes=2 + rng.expovariate(1 / 40))
    if channel == "link":
        return timedelta(hours=1 + rng.expovariate(1 / 20))
    return timedelta(minutes=10 + 60 * rng.lognormvariate(1.0, 1.0))


# How active people are by local hour (0-23) on a working day, and on a Saturday and a Sunday: answers come in
# office hours, with an evening tail, a lunchtime dip and little at night or at the weekend.
WEEKDAY_HOURS = (1, 1, 1, 1, 1, 2, 4, 9, 16, 20, 20, 18, 13, 16, 18, 17, 15, 12, 9, 8, 7, 5, 3, 2)
WEEKEND_SHARE = (0.35, 0.25)  # Saturday, Sunday: their hours weigh this much of a working day's


@functools.cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def awake_moment(rng: random.Random, at: datetime, zone: ZoneInfo) -> datetime:
    """`at`, or a later moment when the customer is likelier to be at their desk (in their own time zone).

    An answer due at 3 am local or on a Sunday mostly waits for the next working morning; the chance it happens
    anyway is that hour's activity relative to the busiest hour of a working day.
    """
    local = at.astimezone(zone)
    for _ in range(4):
        weekday = local.weekday()
        weight = WEEKDAY_HOURS[local.hour] * (1.0 if weekday < 5 else WEEKEND_SHARE[weekday - 5])
        if rng.random() < weight / max(WEEKDAY_HOURS):
            break
        # Pushed to a working hour later that day or on the next day, picked by the working-day rhythm.
        days = 1 if local.hour >= 12 or weekday >= 5 else rng.choice((0, 1))
        hour = rng.choices(range(24), weights=WEEKDAY_HOURS)[0]
        local = (local + timedelta(days=days)).replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if local.astimezone(UTC) <= at:
            local = at.astimezone(zone) + timedelta(minutes=rng.uniform(5, 90))
    return local.astimezone(UTC)


def comments(rng: random.Random, *, talkativeness: float, negative: bool) -> bool:
    """Whether an answer comes with a comment; unhappy customers explain themselves more often."""
    return rng.random() < clamp(talkativeness * (1.35 if negative else 0.9), 0.05, 0.95)
