"""What the hosted-page and kiosk routes share: stopping a request with a page, and the locale of error pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from cxloop.channels import catalogue
from cxloop.channels.hosted import screens
from cxloop.channels.hosted.rendering import message_page
from cxloop.collection import service as collection
from cxloop.collection.errors import ResponseNotFound
from cxloop.invitations import availability
from cxloop.invitations.tokens import TokenExpired, TokenInvalid, TokenSigner
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus

if TYPE_CHECKING:
    from cxloop.surveys.models import Survey

RESPONSE_PURPOSE = "response"  # tokens that let an anonymous visitor extend the response they began
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class PageStop(Exception):
    """Ends a request with `page`; raised out of the unit of work, so the request's writes are rolled back."""

    def __init__(self, page: Response) -> None:
        super().__init__(page.status_code)
        self.page = page


def error_locale(request: Request) -> str:
    """The locale for pages shown before a survey is known (bad link): the browser's, if the page words have it."""
    wanted = screens.accepted_languages(request.headers.get("accept-language"))
    return screens.page_locale(wanted, catalogue.languages(), catalogue.FALLBACK)


def not_found(locale: str, body: str | None = None) -> PageStop:
    return PageStop(
        message_page(
            locale=locale,
            status_code=404,
            title_key="not_found_title",
            body_key=None if body else "not_found_body",
            body=body,
        )
    )


def expired(locale: str) -> PageStop:
    return PageStop(message_page(locale=locale, status_code=410, title_key="expired_title", body_key="expired_body"))


def closed(locale: str, *, kiosk: bool = False) -> PageStop:
    return PageStop(
        message_page(locale=locale, status_code=410, title_key="closed_title", body_key="closed_body", kiosk=kiosk)
    )


@dataclass
class PublicSurvey:
    """A survey reached by its key (anonymous link, kiosk): its questions and the locale of its pages."""

    survey: Survey
    flow: screens.Flow
    locale: str


def public_survey(session: Session, request: Request, key: str, *, lang: str | None = None) -> PublicSurvey:
    """The survey with this key, in the visitor's language (`lang`, then Accept-Language, then the survey's
    default); a 404 page for an unknown key or a draft (not yet published)."""
    survey = surveys.get_survey(session, key=key)
    if survey is None or survey.status == SurveyStatus.draft:
        raise not_found(error_locale(request))
    flow = screens.Flow(surveys.require_version(session, survey_id=survey.id).definition)
    wanted = [lang, *screens.accepted_languages(request.headers.get("accept-language"))]
    return PublicSurvey(survey, flow, screens.page_locale(wanted, flow.locales(), survey.default_locale))


def require_open(session: Session, page: PublicSurvey, now: datetime, *, kiosk: bool = False) -> None:
    """The closed page (410) unless the survey accepts responses now."""
    if not availability.accepts_responses(session, page.survey, now=now):
        raise closed(page.locale, kiosk=kiosk)


@dataclass
class Begun:
    """A response an anonymous visitor began, found by its signed token."""

    id: int
    answers: dict[str, Any]
    complete: bool


def begun_response(session: Session, signer: TokenSigner, page: PublicSurvey, token: str, now: datetime) -> Begun:
    """The response of a 'response' token for this survey; a 404 page (not genuine, another survey's, deleted) or a
    410 page (expired)."""
    try:
        response_id = signer.verify(token, now=now, purpose=RESPONSE_PURPOSE)
        response = collection.require_response(session, response_id=response_id)
    except (TokenInvalid, ResponseNotFound) as exc:
        raise not_found(page.locale) from exc
    except TokenExpired as exc:
        raise expired(page.locale) from exc
    if response.survey_id != page.survey.id:
        raise not_found(page.locale)
    return Begun(response.id, dict(response.answers), not response.is_partial)


def response_token(signer: TokenSigner, response_id: int, now: datetime, ttl: timedelta) -> str:
    return signer.sign(response_id, now + ttl, purpose=RESPONSE_PURPOSE)


def idempotency_key(prefix: str, survey: Survey, nonce: str) -> str | None:
    """The key that makes a first screen posted twice one response: the nonce the form was rendered with."""
    return f"{prefix}:{survey.id}:{nonce}" if _NONCE.match(nonce) else None
