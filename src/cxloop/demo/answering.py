"""How a customer answers an invitation: whether, when, and with what comment."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cxloop.demo import behaviour as model
from cxloop.demo.behaviour import zone
from cxloop.demo.comments import Cue, Mood, comment_mood, compose, survey_language
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
    if invited >= end:
        return
    if story.gate is not None:
        invitation = story.gate.invite(story, survey, channel, touchpoint, invited)
        if invitation.reason is not None:
            return  # held back by the contact policy: no answer to give
        channel, invited = invitation.channel, invitation.at
    else:
        invitation = SimInvitation(story.customer.external_id, survey, channel, touchpoint, invited)
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
    if channel != "in_app":  # an in-product prompt is answered there and then; the rest wait for working hours
        at = model.awake_moment(rng, at, zone(story.customer.timezone))
    if at >= end:
        return
    mood = comment_mood(value, low=low, high=high)
    language = survey_language(story.customer.country.locale)
    comment = None
    if model.comments(rng, talkativeness=traits.talkativeness, negative=mood == "neg"):
        comment = compose(rng, cues_for(mood), mood=mood, language=language)
    response = SimResponse(
        story.customer.external_id,
        survey,
        channel,
        touchpoint,
        at,
        value,
        comment,
        context,
        story.next_key("r"),
        language,
    )
    story.responses.append(response)
    invitation.response_key = response.key
