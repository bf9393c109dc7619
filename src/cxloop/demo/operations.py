"""The operational moments of a customer's life: orders being delivered and support tickets being handled."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cxloop.demo import behaviour as model
from cxloop.demo.answering import answer
from cxloop.demo.behaviour import DAY
from cxloop.demo.comments import Cue, count_word, days_word, human_wait, times
from cxloop.demo.company import Agent
from cxloop.demo.names import CARRIERS, FEATURES
from cxloop.demo.period import DemoPeriod
from cxloop.demo.story import SimTicket, Story, SurveyRole

TEAM_BY_CATEGORY = {
    "how_to": "Product support",
    "bug": "Product support",
    "account": "Product support",
    "billing": "Billing",
    "delivery": "Logistics",
    "setup": "Onboarding",
}
# The delivery survey's trigger asks about a random share of deliveries, so it does not take every slot the contact
# policy's frequency cap leaves (and crowd out the relationship survey).
DELIVERY_SURVEY_SHARE = 0.4
CATEGORY_THEME = {"billing": "billing", "bug": "product_quality", "delivery": "delivery", "setup": "onboarding"}


def feature_name(feature: str) -> str:
    """'erp_integration' -> 'ERP integration', as a customer would write it."""
    return feature.replace("_", " ").replace("erp", "ERP")


def order(rng: random.Random, story: Story, at: datetime, end: datetime) -> None:
    """An order placed at `at`: delivered (maybe late or damaged), then a delivery CSAT invitation."""
    customer = story.customer
    delivery = model.deliver(rng, remote=customer.country.remote)
    delivered = at + timedelta(days=1 + delivery.days_late, hours=rng.uniform(-6, 6))
    if delivered >= end:
        return  # still on its way when the window closes
    order_id = f"O-{customer.index + 1:05d}-{story.counter + 1:03d}"
    story.event(
        "order_delivered",
        delivered,
        {
            "order_id": order_id,
            "on_time": delivery.on_time,
            "days_late": delivery.days_late,
            "items": rng.randint(2, 40),
            "carrier": rng.choice(CARRIERS),
            "damaged": delivery.damaged,
        },
    )
    if delivery.days_late:
        cue = Cue("delivery", "neg", "late", {"late": days_word(delivery.days_late)})
        story.feel(delivered, -(0.3 + 0.15 * delivery.days_late), 45)
        story.remember(delivered, cue, 0.6 + 0.3 * delivery.days_late)
        story.delivery_trouble.append(delivered)
    elif delivery.damaged:
        cue = Cue("delivery", "neg", "damaged")
        story.feel(delivered, -0.8, 45)
        story.remember(delivered, cue, 1.2)
        story.delivery_trouble.append(delivered)
    else:
        cue = Cue("delivery", "pos")
        story.feel(delivered, 0.05, 45)
        if rng.random() < 0.2:
            story.remember(delivered, cue, 0.3)
    if rng.random() >= DELIVERY_SURVEY_SHARE:
        return  # not asked about this one
    channel = "sms" if rng.random() < 0.6 else "email"
    value = model.rated(rng, model.delivery_csat(rng, delivery, harshness=customer.traits.harshness), 1, 5)
    invited = delivered + timedelta(hours=rng.uniform(14, 22))
    options = {
        "neg": [cue] if cue.tone == "neg" else [Cue("delivery", "neg")],
        "mixed": [Cue("delivery", "pos"), cue if cue.tone == "neg" else Cue("delivery", "wish")],
        "pos": [Cue("delivery", "pos")],
    }
    answer(
        rng,
        story,
        SurveyRole.delivery_csat,
        channel,
        "delivery",
        invited,
        end,
        value,
        (2, 4),
        lambda mood: options[mood],
        {"order_id": order_id, "late": delivery.days_late > 0, "damaged": delivery.damaged},
    )


def ticket(
    rng: random.Random,
    story: Story,
    at: datetime,
    end: datetime,
    *,
    period: DemoPeriod,
    agents: dict[str, list[Agent]],
    category: str | None = None,
) -> None:
    """A support ticket opened at `at`: handled by an agent, solved, then a support CSAT invitation."""
    customer = story.customer
    if category is None:
        recent_delivery_trouble = any(timedelta(0) <= at - when <= 14 * DAY for when in story.delivery_trouble)
        weights = {
            "how_to": 32,
            "bug": 25,
            "account": 8,
            "billing": 10,
            "delivery": 60 if recent_delivery_trouble else 10,
        }
        category = rng.choices(list(weights), weights=list(weights.values()))[0]
    team = TEAM_BY_CATEGORY[category]
    agent = rng.choice(agents[team])
    crunch = category == "billing" and period.in_migration(at)
    handling = model.handle_ticket(
        rng, smb=customer.is_smb, staffed_up=period.staffed_up(at), billing_crunch=crunch, bug=category == "bug"
    )
    ticket_id = f"T-{customer.index + 1:05d}-{story.counter + 1:03d}"
    channel = rng.choice(("email", "email", "chat", "phone"))
    story.event(
        "ticket_created",
        at,
        {
            "ticket_id": ticket_id,
            "category": category,
            "channel": channel,
            "priority": "high" if rng.random() < 0.15 else "normal",
        },
    )
    story.feel(at, -0.2, 45)  # needing help at all is a small disappointment, however well it is then handled
    solved = at + timedelta(hours=handling.resolution_hours)
    csat = model.support_csat(rng, handling, agent_skill=agent.skill, harshness=customer.traits.harshness)
    outage = category == "bug" and period.in_incident(at)
    if outage:
        csat -= 0.9  # however well the ticket goes, the platform being down is what they came about
    story.tickets.append(
        SimTicket(ticket_id, at, category, agent.name, team, handling.wait_minutes, solved < end, csat)
    )
    if solved >= end:
        return
    story.event(
        "ticket_solved",
        solved,
        {
            "ticket_id": ticket_id,
            "category": category,
            "wait_minutes": handling.wait_minutes,
            "transfers": handling.transfers,
            "reopens": handling.reopens,
            "agent": agent.name,
            "team": team,
            "resolution_hours": handling.resolution_hours,
        },
    )
    story.feel(solved, (csat - 3.6) * 0.5, 60)
    negatives: list[Cue] = []
    if handling.wait_minutes > 120:
        negatives.append(Cue("support_wait", "neg", slots={"wait": human_wait(handling.wait_minutes)}))
    if handling.transfers:
        negatives.append(
            Cue("support_resolution", "neg", "transfer", {"transfers": count_word(handling.transfers + 1)})
        )
    if handling.reopens:
        negatives.append(Cue("support_resolution", "neg", "reopen", {"reopens": times(handling.reopens)}))
    if category in CATEGORY_THEME:
        facet = "late" if category == "delivery" else "outage" if outage else None
        slots = {"late": "a few days", "feature": feature_name(rng.choice(FEATURES))}
        negatives.append(Cue(CATEGORY_THEME[category], "neg", facet, slots))
    rng.shuffle(negatives)
    if outage:  # the outage is the first thing they mention
        negatives.sort(key=lambda cue: cue.facet != "outage")
    positives: list[Cue] = []
    if agent.skill > 0.2:
        positives.append(Cue("agent_praise", "pos", slots={"agent": agent.name}))
    if handling.wait_minutes < 45:
        positives.append(Cue("support_wait", "pos", "improved" if period.staffed_up(at) else None))
    if not handling.reopens and not handling.transfers:
        positives.append(Cue("support_resolution", "pos"))
    for cue in negatives[:2]:
        story.remember(solved, cue, (4.0 - csat) * 0.6)
    if csat > 4.2 and positives:
        story.remember(solved, positives[0], (csat - 3.8) * 0.6)
    channel = "email" if rng.random() < 0.7 else "sms"
    invited = solved + timedelta(minutes=rng.uniform(20, 90))
    options = {
        "neg": negatives or [Cue("support_resolution", "neg")],
        "mixed": positives[:1] + (negatives[:1] or [Cue("support_wait", "wish")]),
        "pos": positives or [Cue("support_resolution", "pos")],
    }
    answer(
        rng,
        story,
        SurveyRole.support_csat,
        channel,
        "support-interaction",
        invited,
        end,
        model.rated(rng, csat, 1, 5),
        (2, 4),
        lambda mood: options[mood],
        {"ticket_id": ticket_id},
    )
