"""Public routes of the email and SMS channels (docs/channels-email-sms.md):

    GET  /u/{token}               the unsubscribe page (asks to confirm: link scanners must not unsubscribe anyone)
    POST /u/{token}               opt the customer out of email at once (the page's button, or RFC 8058 one-click)
    POST /webhooks/email/events   bounces and complaints from the mail provider (shared secret)
    POST /webhooks/sms/twilio     customers' SMS replies, as Twilio posts them (X-Twilio-Signature)

Webhooks check who is calling before anything else (401), then the payload (400, each bad field named), and store
nothing unless both pass.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import orjson
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from cxloop.channels import catalogue
from cxloop.channels import messaging_content as content
from cxloop.channels.email import events, unsubscribing
from cxloop.channels.email.rendering import render
from cxloop.channels.sms import replies, signature
from cxloop.channels.sms.wire import parse_inbound
from cxloop.core.config import Settings
from cxloop.core.error_body import error_responses
from cxloop.core.errors import AuthenticationFailed, CxloopError, FieldError, Gone, NotFound
from cxloop.customers import service as customers
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.async_database import AsyncDatabase
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["messaging"])

MAX_EVENTS_BODY = 1024 * 1024
MAX_SMS_BODY = 64 * 1024
_EVENTS = TypeAdapter(list[events.EmailEvent])


class MalformedWebhook(CxloopError):
    """The webhook's payload cannot be used (HTTP 400); `errors` names each bad field."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.signer
    return signer


def _database(request: Request) -> AsyncDatabase:
    return get_async_database(request)


# ---------------------------------------------------------------------------------------------------------------
# Unsubscribe


def _page(template: str, *, language: str, title: str, body: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    words = catalogue.words("email", language)
    html = render(template, language=language, title=title, body=body, w=words, **extra)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _link_problem(exc: CxloopError) -> HTMLResponse:
    words = catalogue.words("email", catalogue.FALLBACK)
    if isinstance(exc, Gone):
        return _page(
            "page.html", language="en", title=words["expired_title"], body=words["expired_body"], status_code=410
        )
    return _page(
        "page.html", language="en", title=words["not_found_title"], body=words["not_found_body"], status_code=404
    )


@router.get("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe_page(token: str, request: Request) -> HTMLResponse:
    signer = _signer(request)

    def read(session: Session) -> tuple[str, str]:
        invitation = unsubscribing.invitation_of_token(session, signer, token)
        customer = customers.require_customer(session, customer_id=invitation.customer_id)
        return content.language_of(invitation.locale or customer.locale or catalogue.FALLBACK), customer.email or ""

    try:
        language, email = await _database(request).read(read)
    except (NotFound, Gone) as exc:
        return _link_problem(exc)
    words = catalogue.words("email", language)
    return _page(
        "unsubscribe_confirm.html",
        language=language,
        title=words["confirm_title"],
        body=words["confirm_body"].format(email=email) if email else "",
        action=f"/u/{token}",
    )


@router.post("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe(token: str, request: Request) -> HTMLResponse:
    """Opts the customer out of email at once. A mail client's one-click POST carries `List-Unsubscribe=One-Click`
    (recorded as source list_unsubscribe); the page's button sends no field (unsubscribe_link)."""
    form = await request.form()
    one_click = form.get("List-Unsubscribe") == "One-Click"
    signer = _signer(request)

    def write(session: Session) -> str:
        invitation = unsubscribing.unsubscribe(session, signer, token, one_click=one_click)
        customer = customers.require_customer(session, customer_id=invitation.customer_id)
        return content.language_of(invitation.locale or customer.locale or catalogue.FALLBACK)

    try:
        language = await _database(request).write(write)
    except (NotFound, Gone) as exc:
        return _link_problem(exc)
    words = catalogue.words("email", language)
    return _page("page.html", language=language, title=words["done_title"], body=words["done_body"])


# ---------------------------------------------------------------------------------------------------------------
# Bounces and complaints


def _presented_secret(request: Request) -> str | None:
    """The secret from `Authorization: Bearer <secret>` or `Basic` (any user name, the secret as password)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


async def _limited_body(request: Request, limit: int) -> bytes:
    if int(request.headers.get("content-length") or 0) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the body is larger than {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the body is larger than {limit} bytes")
    return body


def _event_errors(exc: ValidationError, single: bool) -> list[FieldError]:
    found = []
    for error in exc.errors():
        location = [str(part) for part in error["loc"]]
        if single:
            location = location[1:]  # the body was one object, not a list: drop the index
        found.append(FieldError(".".join(location) or "body", error["msg"]))
    return found


@router.post(
    "/webhooks/email/events",
    summary="Bounce and complaint notifications (shared secret)",
    responses=error_responses(400, 401, 413),
)
async def email_events(request: Request) -> dict[str, Any]:
    """Takes one event or a list (docs/channels-email-sms.md). A hard bounce or a complaint opts the address out of
    email and marks the invitation failed; a soft bounce changes nothing."""
    expected = _settings(request).email_webhook_secret
    if expected is None:
        raise AuthenticationFailed("the email events webhook is not configured: set CXLOOP_EMAIL_WEBHOOK_SECRET")
    presented = _presented_secret(request)
    if presented is None:
        raise AuthenticationFailed("send the shared secret as 'Authorization: Bearer <secret>' (or Basic auth)")
    if not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode()):
        raise AuthenticationFailed("the shared secret is wrong")
    body = await _limited_body(request, MAX_EVENTS_BODY)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedWebhook("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from exc
    single = isinstance(payload, dict)
    items = [payload] if single else payload
    if not isinstance(items, list) or not items:
        raise MalformedWebhook(
            "the body must be an event object or a non-empty list of them",
            errors=[FieldError("body", "expected an object or a non-empty list")],
        )
    if len(items) > events.MAX_EVENTS:
        raise MalformedWebhook(
            f"at most {events.MAX_EVENTS} events per request",
            errors=[FieldError("body", f"has {len(items)} events")],
        )
    try:
        parsed = _EVENTS.validate_python(items)
    except ValidationError as exc:
        raise MalformedWebhook(
            "the events have invalid fields; nothing was stored", errors=_event_errors(exc, single)
        ) from exc
    outcome = await _database(request).write(lambda session: events.apply_events(session, parsed))
    return {
        "received": len(parsed),
        "opted_out_customers": outcome.opted_out,
        "failed_invitations": outcome.failed_invitations,
        "ignored": outcome.ignored,
        "unmatched": outcome.unmatched,
    }


# ---------------------------------------------------------------------------------------------------------------
# SMS replies (Twilio)


def _twiml(text: str) -> Response:
    """Twilio sends <Message> back to the customer as our reply; an empty <Response/> sends nothing."""
    inner = f"<Message>{escape(text)}</Message>" if text else ""
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(xml, media_type="text/xml")


@router.post(
    "/webhooks/sms/twilio",
    summary="Inbound SMS replies in Twilio's webhook format",
    response_class=Response,
    responses=error_responses(400, 401, 413),
)
async def twilio_inbound(request: Request) -> Response:
    """Validates `X-Twilio-Signature` against CXLOOP_PUBLIC_URL + the path, then handles the reply and answers
    with TwiML (text/xml)."""
    settings = _settings(request)
    if settings.sms_auth_token is None:
        raise AuthenticationFailed("the SMS webhook is not configured: set CXLOOP_SMS_AUTH_TOKEN")
    presented = request.headers.get("x-twilio-signature")
    if not presented:
        raise AuthenticationFailed("the X-Twilio-Signature header is missing")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise MalformedWebhook(
            "Twilio posts application/x-www-form-urlencoded",
            errors=[FieldError("content-type", f"expected application/x-www-form-urlencoded, got '{media_type}'")],
        )
    body = await _limited_body(request, MAX_SMS_BODY)
    try:
        params = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook("the form body cannot be parsed", errors=[FieldError("body", str(exc))]) from exc
    url = content.base_url(settings.public_url) + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    if not signature.is_valid(url, params, settings.sms_auth_token.get_secret_value(), presented):
        raise AuthenticationFailed(f"the X-Twilio-Signature does not match a request to {url}")
    message, problems = parse_inbound(dict(params))
    if message is None:
        raise MalformedWebhook("the message payload has invalid fields; nothing was stored", errors=problems)
    context = replies.ReplyContext(public_url=settings.public_url, signer=_signer(request))
    reply = await _database(request).write(lambda session: replies.handle_reply(session, message, context))
    return _twiml(reply)
