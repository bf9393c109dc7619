"""The hosted page of an invitation (docs/channels-hosted-kiosk.md): `/s/{token}`, one question per screen.

Every answer is stored when its screen is posted: the first creates the invitation's response as partial, the
next ones extend it, and the last marks it complete. All writes go through `invitations.answers.record_answers`,
keyed by the invitation, so a screen posted twice (or a score clicked in the email and again on the page) leaves
one response. Pages that end a request early (bad link, closed survey) are raised as `PageStop` out of the unit of
work, so nothing of that request is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.channels.hosted import screens
from cxloop.channels.hosted.pages import PageStop, closed, error_locale, expired, not_found
from cxloop.channels.hosted.rendering import message_page, question_page
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import InvalidInput
from cxloop.invitations import availability
from cxloop.invitations import service as invitations
from cxloop.invitations.answers import record_answers
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.errors import InvitationExpired, InvitationNotFound
from cxloop.storage.deps import get_database
from cxloop.surveys import service as surveys

if TYPE_CHECKING:
    from cxloop.invitations.models import Invitation
    from cxloop.surveys.models import Survey

router = APIRouter(include_in_schema=False)

# The response's channel is the one the invitation reached the customer on (the page is only where they answer),
# so response rates by channel compare invitations with their answers.
_RESPONSE_CHANNEL = {
    "email": Channel.email,
    "sms": Channel.sms,
    "link": Channel.link,
    "widget": Channel.web,
}
_METADATA = {"page": "hosted"}


@dataclass
class _Visit:
    """An invitation's page state: its survey, the questions, what is answered, the page's locale."""

    token: str
    invitation: Invitation
    survey: Survey
    flow: screens.Flow
    answers: dict[str, Any]
    complete: bool
    locale: str

    def url(self, qid: str | None = None) -> str:
        return f"/s/{self.token}" if qid is None else f"/s/{self.token}/q/{qid}"


def _load(session: Session, request: Request, token: str, now: datetime) -> _Visit:
    """The visit of a token; PageStop with a 404 page (unknown, tampered) or 410 page (expired)."""
    locale = error_locale(request)
    try:
        invitation = invitations.by_token(session, request.app.state.signer, token, now=now)
    except InvitationNotFound as exc:
        raise not_found(locale) from exc
    except InvitationExpired as exc:
        raise expired(locale) from exc
    if invitation.status == InvitationStatus.suppressed:  # never sent: its link cannot have reached anyone
        raise not_found(locale)
    if invitation.status == InvitationStatus.expired:
        raise expired(locale)
    survey = surveys.require_survey(session, survey_id=invitation.survey_id)
    answers: dict[str, Any] = {}
    complete, version = False, None
    if invitation.response_id is not None:
        response = collection.require_response(session, response_id=invitation.response_id)
        answers, complete, version = dict(response.answers), not response.is_partial, response.version
    flow = screens.Flow(surveys.require_version(session, survey_id=survey.id, version=version).definition)
    page_locale = screens.page_locale([invitation.locale], flow.locales(), survey.default_locale)
    return _Visit(token, invitation, survey, flow, answers, complete, page_locale)


def _check_open(session: Session, visit: _Visit, now: datetime) -> None:
    """Thank-you once complete; the closed page (410) when the survey stopped collecting before this customer began.
    A customer who has begun may finish: their response counts already."""
    if visit.complete:
        raise PageStop(
            message_page(locale=visit.locale, status_code=200, title_key="thanks_title", body_key="thanks_body")
        )
    if visit.invitation.response_id is None and not availability.accepts_responses(session, visit.survey, now=now):
        raise closed(visit.locale)


def _screen(
    visit: _Visit,
    qid: str,
    *,
    error_key: str | None = None,
    error: str | None = None,
    current: Any = None,
    note_key: str | None = None,
    note_value: Any = None,
) -> Response:
    flow, answers = visit.flow, visit.answers
    previous = flow.previous_before(qid, answers)
    return question_page(
        flow.screen(qid, answers, locale=visit.locale, default_locale=visit.survey.default_locale),
        locale=visit.locale,
        action=visit.url(),
        current=answers.get(qid) if current is None else current,
        back_url=visit.url(previous) if previous is not None else None,
        is_last=flow.is_last(qid, answers),
        error_key=error_key,
        error=error,
        note_key=note_key,
        note_value=note_value,
    )


def _record(session: Session, visit: _Visit, step: screens.Step, qid: str, metadata: dict[str, Any]) -> Response:
    """Store the step's answers and send the browser to the next screen (303), or to the thank-you page."""
    done = step.next_question is None
    if step.answers or done:
        channel = _RESPONSE_CHANNEL.get(visit.invitation.channel, Channel.link)
        try:
            record_answers(session, visit.invitation, step.answers, channel=channel, complete=done, metadata=metadata)
        except InvalidInput as exc:
            message = exc.errors[0].message if exc.errors else exc.message
            raise PageStop(_screen(visit, qid, error=message, current=step.value)) from exc
    return RedirectResponse(visit.url(step.next_question), status_code=303)


def _one_click(visit: _Visit, query: Mapping[str, str]) -> Response | None:
    """The screen of a score given in the URL (`?nps=9`, the email's one-click links), with that score chosen and a
    line asking to send it. Nothing is stored until the customer presses the button.

    Mail scanners (Safe Links and the like) open every link of a message, often all eleven scores within a second,
    and some run the page in a browser: storing on a plain GET let the last link a scanner opened stand as the
    customer's answer. Pressing the button is the human action a scanner does not take (docs/channels-hosted-kiosk.md).
    """
    given = next((qid for qid in visit.flow.order if qid in query), None)
    if given is None or not visit.flow.shown(given, visit.answers):
        return None
    step = screens.apply_form(visit.flow, visit.answers, given, [query[given]], skip=False)
    if step.error is not None:
        raise PageStop(_screen(visit, given, error_key=step.error))
    chosen = step.answers.get(given)
    return _screen(visit, given, current=chosen, note_key="confirm_choice", note_value=chosen)


def _run(request: Request, token: str, handle: Callable[[Session, _Visit, datetime], Response]) -> Response:
    """Run `handle(session, visit, now)` in one write transaction; a PageStop rolls it back and shows its page."""
    now = utcnow()
    try:
        with get_database(request).unit_of_work(write=True) as session:
            visit = _load(session, request, token, now)
            response = handle(session, visit, now)
    except PageStop as stop:
        return stop.page
    return response


@router.get("/s/{token}")
def open_invitation(token: str, request: Request) -> Response:
    """The current screen: the first question not yet answered, or the thank-you page once complete."""

    def handle(session: Session, visit: _Visit, now: datetime) -> Response:
        _check_open(session, visit, now)
        invitations.mark_opened(visit.invitation, now=now)
        clicked = _one_click(visit, request.query_params)
        if clicked is not None:
            return clicked
        visible = visit.flow.visible(visit.answers)
        return _screen(visit, visit.flow.first_open(visit.answers) or visible[-1])

    return _run(request, token, handle)


@router.get("/s/{token}/q/{question_id}")
def show_question(token: str, question_id: str, request: Request) -> Response:
    """One screen by its question id (the Back link, the redirect after each answer)."""

    def handle(session: Session, visit: _Visit, now: datetime) -> Response:
        _check_open(session, visit, now)
        if not visit.flow.shown(question_id, visit.answers):
            return RedirectResponse(visit.url(), status_code=303)
        invitations.mark_opened(visit.invitation, now=now)
        return _screen(visit, question_id)

    return _run(request, token, handle)


@router.post("/s/{token}", **body_cap("POST /s/{token}"))
def answer_question(
    token: str,
    request: Request,
    question: Annotated[str, Form(max_length=64)] = "",
    answer: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=16)] = "next",
) -> Response:
    """Store the answer of one screen (303 to the next screen); the same post twice stores one response."""

    def handle(session: Session, visit: _Visit, now: datetime) -> Response:
        if visit.complete:  # a resend of the last screen: already stored, say thank you again
            return RedirectResponse(visit.url(), status_code=303)
        _check_open(session, visit, now)
        if not visit.flow.shown(question, visit.answers):
            return RedirectResponse(visit.url(), status_code=303)
        values = answer or []
        step = screens.apply_form(visit.flow, visit.answers, question, values, skip=action == "skip")
        if step.error is not None:
            return _screen(
                visit, question, error_key=step.error, current=screens.redisplay(visit.flow, question, values)
            )
        return _record(session, visit, step, question, _METADATA)

    return _run(request, token, handle)
