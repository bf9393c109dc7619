"""Unstructured feedback for the demo: public reviews, social posts and support chat transcripts."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.demo.behaviour import DAY, score
from cxloop.demo.comments import Cue, Mood, compose
from cxloop.demo.company import Agent
from cxloop.demo.period import DemoPeriod
from cxloop.demo.phrases import FRAGMENTS
from cxloop.demo.story import Story
from cxloop.demo.transcripts import transcript


@dataclass(slots=True)
class SimFeedback:
    """One piece of unstructured feedback to record."""

    kind: FeedbackKind
    source: str
    external_id: str
    channel: Channel
    text: str
    at: datetime
    rating: int | None = None
    author: str | None = None
    customer: str | None = None
    touchpoint: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


ANONYMOUS_AUTHORS = (
    "Office manager, hospitality",
    "Operations lead, 11-50 employees",
    "Practice manager",
    "Verified reviewer",
    "Facilities coordinator",
    "Founder, retail",
    "Finance assistant",
    "Procurement specialist, 1001-5000 employees",
)
HASHTAGS = ("#smallbusiness", "#officelife", "#customerservice", "#fail", "#procurement", "#shoutout", "")


def _first(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def public_feedback(
    seed: int, stories: Sequence[Story], period: DemoPeriod, agents: dict[str, list[Agent]]
) -> list[SimFeedback]:
    """Reviews, social posts and chat transcripts, mostly from known customers and about what happened to them."""
    rng = random.Random(f"cxloop-demo/{seed}/public-feedback")
    items: list[SimFeedback] = []
    for story in stories:
        items.extend(_customer_voices(rng, story, period))
    linked_reviews = sum(1 for item in items if item.kind is FeedbackKind.review)
    for n in range(max(5, int(linked_reviews * 0.4))):
        items.append(_anonymous_review(rng, n, period, agents))
    items.sort(key=lambda item: (item.at, item.external_id))
    return items


def _customer_voices(rng: random.Random, story: Story, period: DemoPeriod) -> list[SimFeedback]:
    end = story.churned_at or period.end
    found: list[SimFeedback] = []
    if story.activated and story.first_use_at and end - story.first_use_at > 30 * DAY:
        nps = story.last_nps if story.last_nps is not None else story.expected_nps(end)
        chance = 0.035 + (0.04 if nps >= 9 else 0.05 if nps <= 4 else 0.0)
        if rng.random() < chance:
            at = story.first_use_at + 30 * DAY + (end - story.first_use_at - 30 * DAY) * rng.random()
            found.append(_review(rng, story, at, nps))
    for memory in story.memories:
        if memory.cue.tone != "neg" or memory.cue.theme not in {"billing", "delivery"}:
            continue
        chance = 0.12 if memory.cue.theme == "billing" and period.in_migration(memory.at) else 0.015
        if rng.random() < chance:
            found.append(_social_post(rng, story, memory.cue, memory.at + timedelta(hours=rng.uniform(0.2, 6)), end))
    for ticket in story.tickets:
        if ticket.solved and rng.random() < 0.02:
            found.append(
                _chat(rng, story, ticket.ticket_id, ticket.category, ticket.agent, ticket.csat, ticket.created_at)
            )
    return [item for item in found if item.at < end]


def _review(rng: random.Random, story: Story, at: datetime, nps: float) -> SimFeedback:
    customer = story.customer
    if nps >= 9:
        stars = 5 if rng.random() < 0.8 else 4
    elif nps >= 7:
        stars = 4 if rng.random() < 0.6 else 3
    elif nps >= 5:
        stars = rng.choice((2, 3))
    else:
        stars = 1 if rng.random() < 0.6 else 2
    mood: Mood = "pos" if stars >= 4 else "neg" if stars <= 2 else "mixed"
    if mood == "mixed":
        cues = story.recall(rng, at, "pos", 1) + story.recall(rng, at, "neg", 1)
    else:
        cues = story.recall(rng, at, mood, 3)
    fallback = [Cue("ease_of_use", "pos" if stars >= 4 else "neg")]
    comment = compose(rng, cues or fallback, mood=mood, length=rng.choice(("medium", "long", "long")))
    if customer.is_smb:
        source = rng.choices(("trustpilot", "g2", "capterra"), weights=(6, 2, 2))[0]
    else:
        source = rng.choices(("g2", "capterra"), weights=(7, 3))[0]
    first, last = customer.name.split(" ", 1)
    return SimFeedback(
        kind=FeedbackKind.review,
        source=source,
        external_id=f"{source}-{customer.external_id}",
        channel=Channel.review,
        text=comment.text,
        at=at,
        rating=stars,
        author=f"{first} {last[0]}.",
        customer=customer.external_id,
        touchpoint="referral-review",
        metadata={"themes": list(comment.themes), "industry": customer.industry, "company_size": customer.company_size},
    )


def _social_post(rng: random.Random, story: Story, cue: Cue, at: datetime, end: datetime) -> SimFeedback:
    customer = story.customer
    source = "x" if rng.random() < 0.75 else "linkedin"
    comment = compose(rng, [cue], mood="neg", length="medium" if source == "linkedin" else None)
    text = comment.text
    if source == "x":
        text = f"{rng.choice(('@LarkspurHQ ', '@LarkspurHQ ', '', 'hey @LarkspurHQ '))}{text} {rng.choice(HASHTAGS)}"
    first = customer.name.split(" ")[0].lower()
    known = rng.random() < 0.35  # the handle could be matched to a customer record
    return SimFeedback(
        kind=FeedbackKind.social_post,
        source=source,
        external_id=f"{source}-{customer.external_id}-{int(at.timestamp())}",
        channel=Channel.social,
        text=text.strip(),
        at=min(at, end - timedelta(minutes=1)),
        author=f"@{first}_{customer.company.split(' ')[0].lower()}",
        customer=customer.external_id if known else None,
        metadata={"themes": list(comment.themes)},
    )


def _chat(
    rng: random.Random, story: Story, ticket_id: str, category: str, agent: str, csat: float, at: datetime
) -> SimFeedback:
    customer = story.customer
    first = customer.name.split(" ")[0]
    text = transcript(rng, category=category, first=first, agent=agent, happy=csat >= 3.5)
    rated = rng.random() < 0.6
    return SimFeedback(
        kind=FeedbackKind.chat_transcript,
        source="livechat",
        external_id=f"chat-{ticket_id}",
        channel=Channel.chat,
        text=text,
        at=at + timedelta(minutes=rng.uniform(5, 40)),
        rating=score(csat, 1, 5) if rated else None,
        author=first,
        customer=customer.external_id,
        touchpoint="support-interaction",
        metadata={"ticket_id": ticket_id, "agent": agent, "category": category},
    )


def _anonymous_review(rng: random.Random, n: int, period: DemoPeriod, agents: dict[str, list[Agent]]) -> SimFeedback:
    at = period.start + (period.end - period.start) * rng.uniform(0.02, 0.999)
    stars = rng.choices((1, 2, 3, 4, 5), weights=(12, 8, 14, 30, 36))[0]
    if period.in_migration(at) and rng.random() < 0.5:
        stars = min(stars, 2)
    mood: Mood = "pos" if stars >= 4 else "neg" if stars <= 2 else "mixed"
    agent = rng.choice([a.name for team in agents.values() for a in team])
    positives = [
        Cue("ease_of_use", "pos"),
        Cue("delivery", "pos"),
        Cue("pricing", "pos"),
        Cue("agent_praise", "pos", slots={"agent": agent}),
        Cue("product_quality", "pos", slots={"feature": "bulk ordering"}),
    ]
    negatives = [
        Cue("delivery", "neg", "late", {"late": "three days"}),
        Cue("support_wait", "neg", slots={"wait": "two days"}),
        Cue("pricing", "neg"),
        Cue("product_quality", "neg", slots={"feature": "approval workflow"}),
        Cue("billing", "neg"),
    ]
    if period.in_migration(at):
        negatives = [Cue("billing", "neg"), *negatives]
    if mood == "pos":
        cues = rng.sample(positives, 2)
    elif mood == "neg":
        cues = negatives[:1] + rng.sample(negatives[1:], 1) if period.in_migration(at) else rng.sample(negatives, 2)
    else:
        cues = [rng.choice(positives), rng.choice(negatives)]
    comment = compose(rng, cues, mood=mood, length=rng.choice(("medium", "long")))
    source = rng.choices(("trustpilot", "g2", "capterra"), weights=(5, 3, 2))[0]
    return SimFeedback(
        kind=FeedbackKind.review,
        source=source,
        external_id=f"{source}-anon-{n + 1:04d}",
        channel=Channel.review,
        text=comment.text or _first(rng.choice(FRAGMENTS["ease_of_use"]["brief_pos"])),
        at=at,
        rating=stars,
        author=rng.choice(ANONYMOUS_AUTHORS),
        touchpoint="referral-review",
        metadata={"themes": list(comment.themes)},
    )
