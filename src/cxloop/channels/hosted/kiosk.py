"""The kiosk (docs/channels-hosted-kiosk.md): `/kiosk/{survey_key}`, a full-screen page for a tablet in a shop or
at a front desk. Five faces answer the survey's first question (csat, or a 5-point rating) with one tap; the score
is stored at once (anonymous, channel 'kiosk'), then the open follow-up the score leads to is offered, then a
thank-you screen returns to the start by itself (a meta refresh: no JavaScript needed).

Scores are rate-limited per device (a cookie set on the first visit) and client address: a device answering faster
than people can gets a 429 page and nothing is stored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.channels import catalogue
from cxloop.channels.hosted import limits, screens
from cxloop.channels.hosted.pages import (
    PageStop,
    PublicSurvey,
    begun_response,
    idempotency_key,
    public_survey,
    require_open,
    response_token,
)
from cxloop.channels.hosted.rendering import message_page, question_page, render
from cxloop.collection.enums import Channel
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import InvalidInput
from cxloop.invitations.answers import amend_response, record_anonymous
from cxloop.storage.deps import get_database

router = APIRouter(include_in_schema=False)

DEVICE_COOKIE = "cxloop_kiosk_device"
RESET_SECONDS = 5  # the thank-you screen, then back to the start
# An unfinished comment screen returns to the start after this long (the score is already stored). Without
# JavaScript the page cannot tell whether someone is typing, so this is generous.
COMMENT_TIMEOUT_SECONDS = 120
RESPONSE_TOKEN_TTL = timedelta(minutes=15)
# Fill colours of the five faces, very unhappy to very happy (light tints: the dark outline carries the contrast).
FACE_COLOURS = ("#f8d7da", "#fde2c8", "#fff3bf", "#e2f3d9", "#c3e6cb")
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_METADATA = {"page": "kiosk"}


def _url(page: PublicSurvey, where: str | None = None, token: str | None = None) -> str:
    path = f"/kiosk/{page.survey.key}" + (f"/{where}" if where else "")
    query = {"lang": page.locale} | ({"response": token} if token else {})
    return f"{path}?{urlencode(query)}"


def _kiosk(session: Session, request: Request, key: str, lang: str | None) -> PublicSurvey:
    """The survey of a kiosk; a 404 page saying why when the survey cannot run on one."""
    page = public_survey(session, request, key, lang=lang)
    problem = page.flow.kiosk_problem()
    if problem is not None:
        raise PageStop(
            message_page(
                locale=page.locale,
                status_code=404,
                title_key="kiosk_unsuitable_title",
                body=f"Survey '{key}' cannot be used on a kiosk: {problem}.",
                kiosk=True,
            )
        )
    return page


def _run(
    request: Request, key: str, lang: str | None, handle: Callable[[Session, PublicSurvey, datetime], Response]
) -> Response:
    now = utcnow()
    try:
        with get_database(request).unit_of_work(write=request.method == "POST") as session:
            page = _kiosk(session, request, key, lang)
            response = handle(session, page, now)
    except PageStop as stop:
        return stop.page
    return response


def _start(page: PublicSurvey, *, error_key: str | None = None) -> Response:
    qid = page.flow.order[0]
    screen = page.flow.screen(qid, {}, locale=page.locale, default_locale=page.survey.default_locale)
    return render(
        "kiosk.html",
        locale=page.locale,
        status_code=422 if error_key else 200,
        title=screen.text,
        screen=screen,
        action=f"/kiosk/{page.survey.key}",
        hidden={"lang": page.locale, "nonce": secrets.token_urlsafe(12)},
        face_colours=FACE_COLOURS,
        error=catalogue.words("hosted", page.locale)[error_key] if error_key else None,
        kiosk=True,
    )


@router.get("/kiosk/{survey_key}")
def kiosk_start(
    survey_key: str,
    request: Request,
    lang: str | None = None,
    device: Annotated[str | None, Cookie(alias=DEVICE_COOKIE)] = None,
) -> Response:
    """The start screen: the first question and five faces. Sets the device cookie on the first visit."""

    def handle(session: Session, page: PublicSurvey, now: datetime) -> Response:
        require_open(session, page, now, kiosk=True)
        return _start(page)

    response = _run(request, survey_key, lang, handle)
    if response.status_code == 200 and not (device and _DEVICE.match(device)):
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(16),
            max_age=5 * 365 * 24 * 3600,
            path="/kiosk",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


@router.post("/kiosk/{survey_key}", **body_cap("POST /kiosk/{survey_key}"))
def kiosk_score(
    survey_key: str,
    request: Request,
    answer: Annotated[str, Form(max_length=8)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    lang: Annotated[str | None, Form(max_length=16)] = None,
    device: Annotated[str | None, Cookie(alias=DEVICE_COOKIE)] = None,
) -> Response:
    """Store a tapped face at once (303 to the follow-up, or to the thank-you screen); 429 when the device is too
    quick, storing nothing."""

    def handle(session: Session, page: PublicSurvey, now: datetime) -> Response:
        require_open(session, page, now, kiosk=True)
        qid = page.flow.order[0]
        step = screens.apply_form(page.flow, {}, qid, [answer], skip=False)
        if step.error is not None:
            return _start(page, error_key=step.error)
        device_id = device if device and _DEVICE.match(device) else "-"
        verdict = limits.limiter(request, limits.KIOSK).hit(f"{limits.client_address(request)}|{device_id}")
        if not verdict.allowed:
            return message_page(
                locale=page.locale,
                status_code=429,
                title_key="too_many_title",
                body_key="too_many_body",
                seconds=verdict.retry_after_header,
                headers={"Retry-After": verdict.retry_after_header},
                refresh=(int(verdict.retry_after_header), _url(page)),
                kiosk=True,
            )
        comment = page.flow.kiosk_comment_after(step.answers)
        try:
            response_id = record_anonymous(
                session,
                page.survey,
                step.answers,
                channel=Channel.kiosk,
                complete=comment is None,
                metadata=_METADATA,
                key=idempotency_key("kiosk", page.survey, nonce),
            )
        except InvalidInput as exc:
            raise PageStop(_start(page, error_key="choose_score")) from exc
        if comment is None:
            return RedirectResponse(_url(page, "thanks"), status_code=303)
        token = response_token(request.app.state.signer, response_id, now, RESPONSE_TOKEN_TTL)
        return RedirectResponse(_url(page, "comment", token), status_code=303)

    return _run(request, survey_key, lang, handle)


def _comment_screen(
    page: PublicSurvey,
    token: str,
    qid: str,
    answers: dict[str, object],
    *,
    error_key: str | None = None,
    error: str | None = None,
    current: object = None,
) -> Response:
    return question_page(
        page.flow.screen(qid, answers, locale=page.locale, default_locale=page.survey.default_locale),
        locale=page.locale,
        action=f"/kiosk/{page.survey.key}/comment",
        hidden={"response": token, "lang": page.locale},
        is_last=True,
        kiosk=True,
        refresh=(COMMENT_TIMEOUT_SECONDS, _url(page)),
        current=current,
        error_key=error_key,
        error=error,
    )


@router.get("/kiosk/{survey_key}/comment")
def kiosk_comment(survey_key: str, request: Request, lang: str | None = None, response: str = "") -> Response:
    """The optional open question the score leads to (e.g. 'What went wrong?' after a low score)."""

    def handle(session: Session, page: PublicSurvey, now: datetime) -> Response:
        begun = begun_response(session, request.app.state.signer, page, response[:200], now)
        qid = page.flow.kiosk_comment_after(begun.answers)
        if begun.complete or qid is None:
            return RedirectResponse(_url(page, "thanks"), status_code=303)
        return _comment_screen(page, response, qid, begun.answers)

    return _run(request, survey_key, lang, handle)


@router.post("/kiosk/{survey_key}/comment", **body_cap("POST /kiosk/{survey_key}/comment"))
def kiosk_send_comment(
    survey_key: str,
    request: Request,
    response: Annotated[str, Form(max_length=200)] = "",
    question: Annotated[str, Form(max_length=64)] = "",
    answer: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=16)] = "next",
    lang: Annotated[str | None, Form(max_length=16)] = None,
) -> Response:
    """Add the comment (or skip it) and complete the response; 303 to the thank-you screen."""

    def handle(session: Session, page: PublicSurvey, now: datetime) -> Response:
        begun = begun_response(session, request.app.state.signer, page, response, now)
        qid = page.flow.kiosk_comment_after(begun.answers)
        if begun.complete or qid is None or question != qid:
            return RedirectResponse(_url(page, "thanks"), status_code=303)
        values = answer or []
        step = screens.apply_form(page.flow, begun.answers, qid, values, skip=action == "skip")
        if step.error is not None:
            current = screens.redisplay(page.flow, qid, values)
            return _comment_screen(page, response, qid, begun.answers, error_key=step.error, current=current)
        try:
            amend_response(session, begun.id, step.answers, complete=True)
        except InvalidInput as exc:
            message = exc.errors[0].message if exc.errors else exc.message
            raise PageStop(
                _comment_screen(page, response, qid, begun.answers, error=message, current=step.value)
            ) from exc
        return RedirectResponse(_url(page, "thanks"), status_code=303)

    return _run(request, survey_key, lang, handle)


@router.get("/kiosk/{survey_key}/thanks")
def kiosk_thanks(survey_key: str, request: Request, lang: str | None = None) -> Response:
    """Thank you, then back to the start screen after RESET_SECONDS."""

    def handle(_session: Session, page: PublicSurvey, _now: datetime) -> Response:
        return message_page(
            locale=page.locale,
            status_code=200,
            title_key="thanks_title",
            body_key="kiosk_thanks_body",
            refresh=(RESET_SECONDS, _url(page)),
            kiosk=True,
        )

    return _run(request, survey_key, lang, handle)
