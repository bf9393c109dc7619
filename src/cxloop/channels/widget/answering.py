"""Answers to a prompt, one screen at a time (POST /widget/v1/responses).

The first answer (usually the score) is stored at once as a partial response, so a visitor who closes the prompt
before the comment still counts; each later screen extends the same response and the last one completes it. The
server picks the next question from the answers so far, so conditional follow-ups need no logic in the script.

- Identified customers answer their invitation (the prompt token is the invitation's token):
  `invitations.answers.record_answers` links the response and marks the invitation answered.
- Anonymous visitors answer with the prompt token from decide; the response is stored with
  `record_anonymous` under an idempotency key of that prompt (a resent first answer is stored once), and later
  screens send the response token returned here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cxloop.channels.widget import decisions, questions
from cxloop.channels.widget.errors import PromptExpired, PromptNotFound
from cxloop.channels.widget.schemas import AnswerRead, AnswerRequest
from cxloop.channels.widget.service import SiteSnapshot, SurveySnapshot
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.invitations import answers as channel_answers
from cxloop.invitations import availability
from cxloop.invitations import service as invitations
from cxloop.invitations.errors import InvitationExpired, InvitationNotFound
from cxloop.invitations.tokens import TokenExpired, TokenInvalid, TokenSigner
from cxloop.surveys import service as surveys

if TYPE_CHECKING:
    from cxloop.invitations.models import Invitation

RESPONSE_TTL = timedelta(hours=12)
_RESPONSE_PURPOSE = "widget-response"


def _survey(session: Session, site: SiteSnapshot, survey_id: int) -> SurveySnapshot:
    for rule in site.rules:
        if rule.survey.id == survey_id:
            return rule.survey
    survey = surveys.require_survey(session, survey_id=survey_id)
    return SurveySnapshot(survey, surveys.require_version(session, survey_id=survey_id).definition)


def _open(session: Session, signer: TokenSigner, site: SiteSnapshot, token: str) -> tuple[Invitation | None, Any]:
    """The invitation of an identified prompt, or (None, (rule, nonce)) for an anonymous one."""
    try:
        invitation = invitations.by_token(session, signer, token)
    except InvitationExpired as exc:
        raise PromptExpired("this prompt has expired; nothing was stored") from exc
    except InvitationNotFound:
        pass
    else:
        if invitation.channel != Channel.widget:  # an emailed link is answered on the hosted page
            raise PromptNotFound("this prompt is not valid", errors=[FieldError("token", "is not a prompt token")])
        return invitation, None
    try:
        rule_id, nonce = decisions.read_anonymous_token(signer, token)
    except TokenExpired as exc:
        raise PromptExpired("this prompt has expired; nothing was stored") from exc
    except TokenInvalid as exc:
        raise PromptNotFound("this prompt is not valid", errors=[FieldError("token", "is not a prompt token")]) from exc
    rule = next((r for r in site.rules if r.id == rule_id), None)
    if rule is None:
        raise PromptNotFound("this prompt's rule no longer exists", errors=[FieldError("token", "unknown rule")])
    return None, (rule, nonce)


def response_token(signer: TokenSigner, response_id: int, *, now: datetime) -> str:
    return signer.sign(response_id, now + RESPONSE_TTL, purpose=_RESPONSE_PURPOSE)


def _continued(signer: TokenSigner, token: str) -> int:
    try:
        return signer.verify(token, purpose=_RESPONSE_PURPOSE)
    except TokenExpired as exc:
        raise PromptExpired("this response can no longer be changed") from exc
    except TokenInvalid as exc:
        raise InvalidInput(
            "the response token is not valid", errors=[FieldError("response_token", "is not a response token")]
        ) from exc


def answer(
    session: Session, signer: TokenSigner, site: SiteSnapshot, body: AnswerRequest, *, now: datetime
) -> AnswerRead:
    """Store one screen's answer; the next question, or None when the survey is done."""
    if body.token is None:
        raise InvalidInput("say which prompt is answered", errors=[FieldError("token", "is required")])
    invitation, anonymous = _open(session, signer, site, body.token)
    survey_id = invitation.survey_id if invitation is not None else anonymous[0].survey.id
    survey = _survey(session, site, survey_id)
    if not availability.accepts_responses(session, survey.survey, now=now):
        raise PromptExpired("this survey is closed; nothing was stored")
    response_id: int | None
    if invitation is not None:
        response_id = invitation.response_id
    else:
        response_id = _continued(signer, body.response_token) if body.response_token else None
    stored = collection.require_response(session, response_id=response_id).answers if response_id else {}
    given = {} if body.answer is None else {body.question: body.answer}
    definition, default = survey.definition, survey.survey.default_locale
    locale = questions.locale_of(definition, body.locale, default)
    following = questions.next_question(
        definition, {**stored, **given}, after=body.question, locale=locale, default_locale=default
    )
    complete = following is None
    metadata = {"widget_site": site.key, "url": body.url} if body.url else {"widget_site": site.key}
    if invitation is not None:
        if given or response_id is not None:
            response_id = channel_answers.record_answers(
                session, invitation, given, channel=site.channel, complete=complete, metadata=metadata, now=now
            )
    elif response_id is not None:
        channel_answers.amend_response(session, response_id, given, complete=complete)
    elif given:
        rule, nonce = anonymous
        response_id = channel_answers.record_anonymous(
            session,
            rule.survey.survey,
            given,
            channel=site.channel,
            complete=complete,
            metadata={**metadata, "widget_rule": rule.id},
            key=f"widget-prompt:{rule.id}:{nonce}",
        )
    token = response_token(signer, response_id, now=now) if response_id is not None and invitation is None else None
    return AnswerRead(response_id=response_id, response_token=token, next=following)
