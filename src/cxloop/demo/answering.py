"""How a customer answers an invitation: whether, when, and with what comment."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cxloop.demo import behaviour as model
from cxloop.demo.comments import Cue, Mood, comment_mood, compose
from cxloop.demo.story import SimInvitation, SimResponse, Story, SurveyRole
from cxloop.surveys import scales


def answer(
    rng: random.Random,
    story: Story,
    survey: SurveyRole,
    channel: str,
    touchpoint: str,
    invited: datetime,
    end: datetime,
    value: int,
    bounds: tuple[int, int],
    cues_for: Callable[[Mood], list[Cue]],
    context: dict[str, Any],
) -> None:
    """Maybe answer an invitation sent at `invited` (with a comment about `cues_for(mood)`), before `end`."""
    invitation = SimInvitation(story.customer.external_id, survey, channel, touchpoint, invited)
    if invited < end:
        story.invitations.append(invitation)
    low, high = bounds
    scale_low, scale_high = (
        scales.NPS
        if survey is SurveyRole.relationship_nps
        else scales.CES
        if survey is SurveyRole.onboarding_ces
        else scales.CSAT
    )
    middle = (scale_low + scale_high) / 2
    extremity = abs(value - middle) / (scale_high - middle)
    traits = story.customer.traits
    if not model.answers(
        rng, survey=survey.value, channel=channel, responsiveness=traits.responsiveness, extremity=extremity
    ):
        return
    at = invited + model.answer_delay(rng, channel)
    if at >= end:
        return
    mood = comment_mood(value, low=low, high=high)
    comment = None
    if model.comments(rng, talkativeness=traits.talkativeness, negative=mood == "neg"):
        comment = compose(rng, cues_for(mood), mood=mood)
    response = SimResponse(
        story.customer.external_id, survey, channel, touchpoint, at, value, comment, context, story.next_key("r")
    )
    story.responses.append(response)
    invitation.response_key = response.key
