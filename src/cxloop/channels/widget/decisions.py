"""'May I show a prompt?': the server's answer to the widget (POST /widget/v1/decide).

The order keeps the common answer cheap: the rules are matched against the page in memory (site snapshot), so most
page views are answered with no database work at all. Then:
- an anonymous visitor passes the site's cap (the browser says when it last showed a prompt) and sampling, and gets
  a prompt token that names the rule;
- an identified customer goes through the contact policy (`invitations.service.invite` on channel 'widget':
  consent, response limit, re-survey interval, the weighted frequency cap, holdout, sampling). A prompt shown
  creates the invitation (marked sent), so the answers link to it; a refused one is stored suppressed with its
  reason, as every channel's are. One invitation per rule, customer and day (`occurrence_key`), so reloading a page
  neither asks twice nor piles up rows; each server process remembers the occurrences it has answered
  (`OccurrenceMemo`), so repeat asks skip the database.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from cxloop.channels.widget import targeting
from cxloop.channels.widget.occurrence_memo import OccurrenceMemo
from cxloop.channels.widget.schemas import DecideRequest, Decision, Prompt
from cxloop.channels.widget.service import RuleSnapshot, SiteSnapshot
from cxloop.channels.widget.visitors import ensure_customer
from cxloop.collection.enums import Channel
from cxloop.invitations import availability
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.tokens import TokenInvalid, TokenSigner
from cxloop.storage.async_database import AsyncDatabase
from cxloop.surveys import lifecycle
from cxloop.surveys.enums import SurveyStatus

if TYPE_CHECKING:
    from cxloop.invitations.models import Invitation

PROMPT_TTL = timedelta(hours=12)
_PROMPT_PURPOSE = "widget-prompt"


async def _available(rule: RuleSnapshot, database: AsyncDatabase, now: datetime) -> bool:
    survey = rule.survey.survey
    if survey.max_responses is None:  # no count needed: decided from the cached survey alone
        return lifecycle.effective_status(survey, now=now, responses=None) == SurveyStatus.live
    return await database.read(lambda session: availability.accepts_responses(session, survey, now=now))


def _prompt(rule: RuleSnapshot, token: str, locale: str | None) -> Prompt:
    shown_locale, first = rule.survey.first_question(locale)
    return Prompt(token=token, survey=rule.survey.survey.key, locale=shown_locale, question=first)


def anonymous_token(signer: TokenSigner, rule_id: int, *, now: datetime) -> str:
    """`<rule id>.<signed nonce>`: unique per prompt shown, so its answers are one response."""
    nonce = secrets.randbits(62)
    return f"{rule_id}.{signer.sign(nonce, now + PROMPT_TTL, purpose=f'{_PROMPT_PURPOSE}:{rule_id}')}"


def read_anonymous_token(signer: TokenSigner, token: str) -> tuple[int, int]:
    """(rule id, nonce) of an anonymous prompt token; TokenInvalid / TokenExpired otherwise."""
    rule_part, _, signed = token.partition(".")
    if not rule_part.isdigit() or len(rule_part) > 18:
        raise TokenInvalid(token)
    return int(rule_part), signer.verify(signed, purpose=f"{_PROMPT_PURPOSE}:{rule_part}")


def occurrence_key(rule_id: int, external_id: str, now: datetime) -> str:
    """One invitation per rule, customer and (UTC) day."""
    return f"widget:{rule_id}:{external_id}:{now.date().isoformat()}"


async def decide(
    database: AsyncDatabase,
    signer: TokenSigner,
    site: SiteSnapshot,
    request: DecideRequest,
    *,
    now: datetime,
    memo: OccurrenceMemo,
) -> Decision:
    """Show a prompt or not, and why not. `memo` remembers, per server process, the occurrences already decided."""
    visitor = request.customer or request.visitor or ""
    match = targeting.match_rule(
        site, url=request.url, event=request.event, seconds_on_page=request.seconds_on_page, visitor=visitor
    )
    rule = match.rule
    if rule is None:
        return Decision(show=False, reason=match.reason)
    if request.customer is None:
        refusal = targeting.anonymous_refusal(site, visitor=visitor, last_prompted_at=request.last_prompted_at, now=now)
        if refusal is not None:
            return Decision(show=False, reason=refusal)
        if not await _available(rule, database, now):
            return Decision(show=False, reason="survey_closed")
        return Decision(show=True, prompt=_prompt(rule, anonymous_token(signer, rule.id, now=now), request.locale))
    return await _decide_identified(database, signer, rule, request.customer, request.locale, now=now, memo=memo)


def _repeat_reason(invitation: Invitation) -> str:
    """Why a repeat ask of the same occurrence is refused."""
    if invitation.status == InvitationStatus.suppressed and invitation.reason:
        return invitation.reason
    return "already_prompted"


def _repeat_reason_of(session: Session, occurrence: str) -> str | None:
    """Why a repeat ask is refused, when the occurrence was decided before (None otherwise)."""
    found = invitations.by_occurrence(session, occurrence)
    return None if found is None else _repeat_reason(found)


async def _decide_identified(
    database: AsyncDatabase,
    signer: TokenSigner,
    rule: RuleSnapshot,
    external_id: str,
    locale: str | None,
    *,
    now: datetime,
    memo: OccurrenceMemo,
) -> Decision:
    occurrence = occurrence_key(rule.id, external_id, now)
    known = memo.get(occurrence)
    if known is not None:  # the usual repeat ask: no database work at all
        return Decision(show=False, reason=known)
    found = await database.read(lambda session: _repeat_reason_of(session, occurrence))
    if found is not None:
        memo.remember(occurrence, found)
        return Decision(show=False, reason=found)
    decision, reason = await database.write(
        lambda session: _invite(session, signer, rule, external_id, locale, occurrence, now=now)
    )
    memo.remember(occurrence, reason)
    return decision


def _invite(
    session: Session,
    signer: TokenSigner,
    rule: RuleSnapshot,
    external_id: str,
    locale: str | None,
    occurrence: str,
    *,
    now: datetime,
) -> tuple[Decision, str]:
    """The decision, and why a repeat ask of this occurrence is refused from now on."""
    customer = ensure_customer(session, external_id)
    request = invitations.InviteRequest(
        survey_id=rule.survey.id, customer_id=customer.id, channel=Channel.widget, occurrence_key=occurrence
    )
    invitation = invitations.invite(session, request, now=now)
    if invitation.status != InvitationStatus.scheduled:  # suppressed, or made by a concurrent ask of the visitor
        return Decision(show=False, reason=_repeat_reason(invitation)), _repeat_reason(invitation)
    if invitation.scheduled_for > now:
        # The policy held it back (quiet hours for the widget channel): a prompt can only show while the customer
        # is on the page, so it fails rather than wait for a sender that will never come.
        invitations.mark_failed(invitation, detail="quiet hours: a widget prompt cannot wait", now=now)
        return Decision(show=False, reason="quiet_hours"), _repeat_reason(invitation)
    invitations.mark_sent(invitation, detail=f"widget rule {rule.id}", now=now)
    prompt = _prompt(rule, invitations.token_for(signer, invitation), locale or customer.locale)
    return Decision(show=True, prompt=prompt), _repeat_reason(invitation)
