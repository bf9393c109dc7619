"""What the simulation produces for one customer: events, survey answers, feelings and memorable moments."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cxloop.demo.behaviour import DAY
from cxloop.demo.comments import Comment, Cue
from cxloop.demo.company import DemoCustomer
from cxloop.demo.consent import ConsentPlan

if TYPE_CHECKING:
    from cxloop.demo.contact import ContactGate


class SurveyRole(StrEnum):
    """The four survey programmes the demo runs (each made from a template)."""

    relationship_nps = "relationship_nps"
    support_csat = "support_csat"
    onboarding_ces = "onboarding_ces"
    delivery_csat = "delivery_csat"


@dataclass(slots=True)
class SimEvent:
    """A behavioural event to record for a customer."""

    customer: str
    name: str
    at: datetime
    properties: dict[str, Any]
    key: str


@dataclass(slots=True)
class SimInvitation:
    """A survey invitation the simulation sent; `response_key` is the answer's key when the customer answered."""

    customer: str
    survey: SurveyRole
    channel: str
    touchpoint: str
    at: datetime
    response_key: str | None = None
    requested_channel: str | None = None  # when the policy fell back from it (SMS without consent -> email)
    reason: str | None = None  # why the contact policy held it back (None: sent)
    policy: str | None = None  # the key of the policy that decided


@dataclass(slots=True)
class SimResponse:
    """A survey answer to record; `context` links it to what it was about (ticket, order) and its themes."""

    customer: str
    survey: SurveyRole
    channel: str
    touchpoint: str
    at: datetime
    score: int
    comment: Comment | None
    context: dict[str, Any]
    key: str
    language: str = "en"  # the survey's language the customer answered in (and wrote their comment in)


@dataclass(frozen=True, slots=True)
class Memory:
    """Something the customer may bring up later; `standing` opinions never fade."""

    at: datetime
    cue: Cue
    weight: float
    standing: bool = False


@dataclass(slots=True)
class SimTicket:
    """A support ticket, kept for the chat transcripts made from some of them."""

    ticket_id: str
    created_at: datetime
    category: str
    agent: str
    team: str
    wait_minutes: int
    solved: bool
    csat: float


@dataclass(slots=True)
class Story:
    """Everything that happened to one customer during the demo window."""

    customer: DemoCustomer
    consent: ConsentPlan = field(default_factory=lambda: ConsentPlan(None, None))
    gate: ContactGate | None = None  # the contact policy every invitation passes (None: invite unchecked, in tests)
    events: list[SimEvent] = field(default_factory=list)
    responses: list[SimResponse] = field(default_factory=list)
    invitations: list[SimInvitation] = field(default_factory=list)
    memories: list[Memory] = field(default_factory=list)
    tickets: list[SimTicket] = field(default_factory=list)
    # (when, how much it moved the customer's mood, how many days the feeling takes to fade by 1/e)
    feelings: list[tuple[datetime, float, float]] = field(default_factory=list)
    delivery_trouble: list[datetime] = field(default_factory=list)  # when late or damaged orders arrived
    activated: bool = False
    first_use_at: datetime | None = None
    onboarding_ces: float | None = None
    churned_at: datetime | None = None
    paid_total: Decimal = Decimal(0)
    unpaid: bool = False
    last_nps: float | None = None
    counter: int = 0

    def next_key(self, kind: str) -> str:
        self.counter += 1
        return f"{self.customer.external_id}-{kind}-{self.counter}"

    def event(self, name: str, at: datetime, properties: dict[str, Any]) -> None:
        self.events.append(SimEvent(self.customer.external_id, name, at, properties, self.next_key("e")))

    def feel(self, at: datetime, amount: float, fade_days: float) -> None:
        self.feelings.append((at, amount, fade_days))

    def remember(self, at: datetime, cue: Cue, weight: float, *, standing: bool = False) -> None:
        self.memories.append(Memory(at, cue, weight, standing))

    def mood(self, at: datetime) -> float:
        """Accumulated experience at `at`: recent feelings weigh most."""
        total = 0.0
        for when, amount, fade in self.feelings:
            if when <= at:
                total += amount * math.exp(-((at - when) / DAY) / fade)
        return total

    def expected_nps(self, at: datetime) -> float:
        """The customer's noise-free likelihood to recommend at `at` (used for account renewals)."""
        traits = self.customer.traits
        return 7.6 + self.mood(at) + 0.9 * traits.fit - 0.7 * traits.harshness

    def truncate(self, at: datetime) -> None:
        """Forget everything from `at` on (the customer's account left then)."""
        self.events = [e for e in self.events if e.at <= at]
        self.responses = [r for r in self.responses if r.at <= at]
        self.invitations = [i for i in self.invitations if i.at <= at]
        kept = {r.key for r in self.responses}
        for invitation in self.invitations:
            if invitation.response_key not in kept:
                invitation.response_key = None
        self.memories = [m for m in self.memories if m.at <= at]
        self.tickets = [t for t in self.tickets if t.created_at <= at]
        self.churned_at = at

    def recall(self, rng: random.Random, at: datetime, tone: str, limit: int) -> list[Cue]:
        """Up to `limit` memorable moments of `tone` before `at`, one per theme, likelier when strong and recent."""
        pool = [
            m for m in self.memories if m.cue.tone == tone and m.at <= at and (m.standing or (at - m.at) / DAY <= 150)
        ]
        chosen: list[Cue] = []
        while pool and len(chosen) < limit:
            weights = [abs(m.weight) * (1.0 if m.standing else math.exp(-((at - m.at) / DAY) / 60)) for m in pool]
            if sum(weights) <= 0:
                break
            memory = rng.choices(pool, weights=weights)[0]
            chosen.append(memory.cue)
            pool = [m for m in pool if m.cue.theme != memory.cue.theme]
        return chosen
