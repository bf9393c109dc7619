"""The anonymous hosted link (docs/channels-hosted-kiosk.md): `/s/k/{survey_key}`, shared publicly by the survey's
owner, one question per screen like an invitation's page.

The first answer creates the response (`record_anonymous`, channel 'link'); the following screens carry a signed
'response' token that lets this browser, and only it, extend that response (`amend_response`). The first form
carries a random nonce that becomes the response's idempotency key, so posting it twice stores one response. New
responses are rate-limited per client address (channels/hosted/limits.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.channels.hosted import limits, screens
from cxloop.channels.hosted.pages import (
    Begun,
    PageStop,
    PublicSurvey,
    begun_response,
    idempotency_key,
    public_survey,
    require_open,
    response_token,
)
from cxloop.channels.hosted.rendering import message_page, question_page
from cxloop.collection.enums import Channel
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import InvalidInput
from cxloop.invitations.answers import amend_response, record_anonymous
from cxloop.storage.deps import get_database

router = APIRouter(include_in_schema=False)

RESPONSE_TOKEN_TTL = timedelta(hours=2)  # long enough to finish a survey, short enough not to matter if shared
_METADATA = {"page": "hosted-link"}


@dataclass
class _State:
    """Where an anonymous visitor is: the survey, and the response they began (if any) with its token."""

    page: PublicSurvey
    begun: Begun | None
    token: str | None

    @property
    def answers(self) -> dict[str, object]:
        return self.begun.answers if self.begun else {}

    def url(self, where: str | None = None) -> str:
        base = f"/s/k/{self.page.survey.key}"
        path = base if where is None else f"{base}/{where}"
        query = {"lang": self.page.locale} | ({"response": self.token} if self.token and where != "thanks" else {})
        return f"{path}?{urlencode(query)}"


def _state(session: Session, request: Request, key: str, lang: str | None, token: str, now: datetime) -> _State:
    page = public_survey(session, request, key, lang=lang)
    begun = begun_response(session, request.app.state.signer, page, token, now) if token else None
    return _State(page, begun, token or None)


def _screen(
    state: _State, qid: str, *, error_key: str | None = None, error: str | None = None, current: object = None
) -> Response:
    flow, answers, page = state.page.flow, state.answers, state.page
    previous = flow.previous_before(qid, answers)
    hidden = {"lang": page.locale}
    if state.token:
        hidden["response"] = state.token
    else:
        hidden["nonce"] = secrets.token_urlsafe(12)
    return question_page(
        flow.screen(qid, answers, locale=page.locale, default_locale=page.survey.default_locale),
        locale=page.locale,
        action=f"/s/k/{page.survey.key}",
        current=answers.get(qid) if current is None else current,
        hidden=hidden,
        back_url=state.url(f"q/{previous}") if previous is not None else None,
        is_last=flow.is_last(qid, answers),
        error_key=error_key,
        error=error,
    )


def _run(
    request: Request,
    key: str,
    lang: str | None,
    token: str,
    handle: Callable[[Session, _State, datetime], Response],
    *,
    write: bool,
) -> Response:
    now = utcnow()
    try:
        with get_database(request).unit_of_work(write=write) as session:
            state = _state(session, request, key, lang, token, now)
            response = handle(session, state, now)
    except PageStop as stop:
        return stop.page
    return response


@router.get("/s/k/{survey_key}")
def open_link(survey_key: str, request: Request, lang: str | None = None) -> Response:
    """The first screen of a survey's public link."""

    def handle(session: Session, state: _State, now: datetime) -> Response:
        require_open(session, state.page, now)
        return _screen(state, state.page.flow.order[0])

    return _run(request, survey_key, lang, "", handle, write=False)


@router.get("/s/k/{survey_key}/q/{question_id}")
def show_link_question(
    survey_key: str, question_id: str, request: Request, lang: str | None = None, response: str = ""
) -> Response:
    """A later screen; `response` is the token of the response begun on the first one."""

    def handle(session: Session, state: _State, now: datetime) -> Response:
        if state.begun is not None and state.begun.complete:
            return RedirectResponse(state.url("thanks"), status_code=303)
        require_open(session, state.page, now)
        if not state.page.flow.shown(question_id, state.answers):
            return RedirectResponse(state.url(), status_code=303)
        return _screen(state, question_id)

    return _run(request, survey_key, lang, response[:200], handle, write=False)


@router.get("/s/k/{survey_key}/thanks")
def link_thanks(survey_key: str, request: Request, lang: str | None = None) -> Response:
    def handle(_session: Session, state: _State, _now: datetime) -> Response:
        return message_page(locale=state.page.locale, status_code=200, title_key="thanks_title", body_key="thanks_body")

    return _run(request, survey_key, lang, "", handle, write=False)


@router.post("/s/k/{survey_key}", **body_cap("POST /s/k/{survey_key}"))
def answer_link_question(
    survey_key: str,
    request: Request,
    question: Annotated[str, Form(max_length=64)] = "",
    answer: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=16)] = "next",
    response: Annotated[str, Form(max_length=200)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    lang: Annotated[str | None, Form(max_length=16)] = None,
) -> Response:
    """Store one screen's answer: the first creates the response (rate-limited), later ones extend it."""

    def handle(session: Session, state: _State, now: datetime) -> Response:
        if state.begun is not None and state.begun.complete:  # a resend of the last screen
            return RedirectResponse(state.url("thanks"), status_code=303)
        require_open(session, state.page, now)
        flow = state.page.flow
        if not flow.shown(question, state.answers):
            return RedirectResponse(state.url(), status_code=303)
        values = answer or []
        step = screens.apply_form(flow, state.answers, question, values, skip=action == "skip")
        if step.error is not None:
            return _screen(state, question, error_key=step.error, current=screens.redisplay(flow, question, values))
        done = step.next_question is None
        try:
            if state.begun is not None:
                amend_response(session, state.begun.id, step.answers, complete=done)
            elif step.answers:
                verdict = limits.limiter(request, limits.LINK).hit(limits.client_address(request))
                if not verdict.allowed:
                    raise PageStop(
                        message_page(
                            locale=state.page.locale,
                            status_code=429,
                            title_key="too_many_title",
                            body_key="too_many_body",
                            headers={"Retry-After": verdict.retry_after_header},
                            seconds=verdict.retry_after_header,
                        )
                    )
                response_id = record_anonymous(
                    session,
                    state.page.survey,
                    step.answers,
                    channel=Channel.link,
                    complete=done,
                    metadata=_METADATA,
                    key=idempotency_key("hosted-link", state.page.survey, nonce),
                )
                state.token = response_token(request.app.state.signer, response_id, now, RESPONSE_TOKEN_TTL)
        except InvalidInput as exc:
            message = exc.errors[0].message if exc.errors else exc.message
            raise PageStop(_screen(state, question, error=message, current=step.value)) from exc
        if done:
            return RedirectResponse(state.url("thanks"), status_code=303)
        return RedirectResponse(state.url(f"q/{step.next_question}"), status_code=303)

    return _run(request, survey_key, lang, response, handle, write=True)
