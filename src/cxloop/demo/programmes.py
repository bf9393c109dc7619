"""The survey programmes as the demo company configured them: trigger rules and widget sites (docs/demo.md).

They describe how the simulated year's invitations came about: support and delivery surveys after the events,
onboarding CES after first use (by email, and in the app through the widget), relationship NPS 30 and 90 days after
sign-up and then quarterly, and before each account's renewal. The year's invitations are linked to their rule.

The trigger rules are written **disabled**: the demo's customers have invented addresses at real-looking domains,
and an enabled rule would have the worker invite the ones whose events or dates fall in its look-back window
(the last day or three) as soon as it starts. Enable them (`PATCH /api/v1/trigger-rules/{id}`) on a demo pointed at
a test inbox. The widget sites only answer pages on their allowed origins, so they are live.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cxloop.channels.widget import service as widget
from cxloop.channels.widget.schemas import PromptRuleSpec, SiteCreate
from cxloop.collection.enums import Channel
from cxloop.demo.period import DemoPeriod
from cxloop.demo.story import SimInvitation, SurveyRole
from cxloop.triggers import service as triggers
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.schemas import TriggerRuleCreate

# (key, name, programme, how) for each rule; `how` holds the rule's own fields.
RULES: tuple[tuple[str, str, SurveyRole, dict[str, object]], ...] = (
    (
        "support-csat",
        "Support CSAT after a solved ticket",
        SurveyRole.support_csat,
        {"kind": TriggerKind.event, "event_name": "ticket_solved", "delay_seconds": 45 * 60},
    ),
    (
        "delivery-csat",
        "Delivery CSAT the day after an order arrives",
        SurveyRole.delivery_csat,
        {"kind": TriggerKind.event, "event_name": "order_delivered", "delay_seconds": 18 * 3600},
    ),
    (
        "onboarding-ces",
        "Onboarding CES after first use (email; the app asks through the widget)",
        SurveyRole.onboarding_ces,
        {"kind": TriggerKind.event, "event_name": "first_use", "delay_seconds": 3 * 3600},
    ),
    (
        "nps-first-month",
        "Relationship NPS 30 days after sign-up",
        SurveyRole.relationship_nps,
        {"kind": TriggerKind.time, "anchor": "signup_date", "offset_days": 30},
    ),
    (
        "nps-quarterly",
        "Relationship NPS 90 days after sign-up, then every quarter",
        SurveyRole.relationship_nps,
        {"kind": TriggerKind.time, "anchor": "signup_date", "offset_days": 90, "repeat_days": 91},
    ),
    (
        "nps-before-renewal",
        "Relationship NPS 60 days before the account renews",
        SurveyRole.relationship_nps,
        {"kind": TriggerKind.time, "anchor": "account_renewal_date", "offset_days": -60, "repeat_days": 365},
    ),
)
# The channel each programme asks on first, and where it falls back to (SMS needs an opt-in).
_CHANNELS = {
    SurveyRole.support_csat: (Channel.email, [Channel.sms]),
    SurveyRole.delivery_csat: (Channel.sms, [Channel.email]),
    SurveyRole.onboarding_ces: (Channel.email, []),
    SurveyRole.relationship_nps: (Channel.email, []),
}


def rule_key(invitation: SimInvitation, signup: datetime) -> str | None:
    """The rule an invitation of the simulated year came from (None: the app's widget prompt asked)."""
    if invitation.survey is SurveyRole.relationship_nps:
        if invitation.touchpoint == "renewal":
            return "nps-before-renewal"
        return "nps-first-month" if invitation.at - signup < timedelta(days=60) else "nps-quarterly"
    if invitation.channel == "in_app":
        return None
    return {
        SurveyRole.support_csat: "support-csat",
        SurveyRole.delivery_csat: "delivery-csat",
        SurveyRole.onboarding_ces: "onboarding-ces",
    }[invitation.survey]


def write_programmes(session: Session, survey_ids: dict[SurveyRole, int], period: DemoPeriod) -> dict[str, int]:
    """Create the trigger rules and widget sites; each rule's id by its key."""
    ids: dict[str, int] = {}
    for key, name, role, how in RULES:
        channel, fallbacks = _CHANNELS[role]
        data = TriggerRuleCreate.model_validate(
            {
                "key": key,
                "name": name,
                "enabled": False,
                "survey_id": survey_ids[role],
                "channel": channel,
                "fallbacks": fallbacks,
                **how,
            }
        )
        ids[key] = triggers.create_rule(session, data=data, now=period.start).id
    widget.create_site(
        session,
        data=SiteCreate(
            name="Larkspur ordering app",
            channel="in_app",
            allowed_origins=["https://app.larkspur.example"],
            rules=[PromptRuleSpec(survey="onboarding-ces", event="first_use")],
        ),
    )
    widget.create_site(
        session,
        data=SiteCreate(
            name="Larkspur help centre",
            channel="web",
            allowed_origins=["https://help.larkspur.example"],
            feedback_survey="post-support-csat",
            rules=[
                PromptRuleSpec(
                    survey="post-support-csat", url_match="/articles/*", seconds_on_page=40, sampling_rate=0.1
                )
            ],
        ),
    )
    return ids
