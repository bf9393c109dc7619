"""Public routes of the email and SMS channels (docs/channels-email-sms.md):

    GET  /u/{token}?purpose=P     the unsubscribe page (asks to confirm: link scanners must not unsubscribe anyone)
    POST /u/{token}?purpose=P     opt the customer out of email for P at once (the page's buttons: P or every
                                  purpose; or RFC 8058 one-click: P)
    POST /webhooks/email/events   bounces and complaints from the mail provider (shared secret)
    POST /webhooks/sms/twilio     customers' SMS replies, as Twilio posts them (X-Twilio-Signature)

Webhooks check who is calling before anything else (401), then the payload (400, each bad field named), and store
nothing unless both pass.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from cxloop.channels import basic_auth, catalogue
from cxloop.channels import messaging_content as content
from cxloop.channels.configuration.requests import effective_settings
from cxloop.channels.email import events, unsubscribing
from cxloop.channels.email.rendering import render
from cxloop.channels.sms import replies, webhook_request
from cxloop.channels.sms.wire import parse_inbound
from cxloop.channels.webhook_errors import MalformedWebhook
from cxloop.core.body_caps import body_cap, form_limits, max_bytes
from cxloop.core.config import Settings
from cxloop.core.error_body import error_responses
from cxloop.core.errors import AuthenticationFailed, CxloopError, FieldError, Gone, NotFound
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json
from cxloop.customers import service as customers
from cxloop.governance.purposes import EVERY_PURPOSE, Purpose
from cxloop.governance.purposes import NAMES as PURPOSES
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.async_database import AsyncDatabase
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["messaging"])

MAX_EVENTS_BODY = max_bytes("POST /webhooks/email/events")
FORM_LIMITS = form_limits("POST /u/{token}")
_EVENTS = TypeAdapter(list[events.EmailEvent])


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


def _purpose(value: object) -> str | None:
    """The purpose an unsubscribe names (research when the link names none, as links sent before purposes did);
    None when it names one that does not exist."""
    if value is None:
        return Purpose.research.value
    return value if isinstance(value, str) and value in PURPOSES else None


def _worded(words: Mapping[str, str], name: str, purpose: str) -> str:
    """The page's words for the purpose its link names: `<name>_<purpose>` when the catalogue has it (follow-ups),
    else `<name>` (surveys: the words unsubscribe pages had before purposes)."""
    return words.get(f"{name}_{purpose}") or words[name]


def _bad_purpose() -> HTMLResponse:
    words = catalogue.words("email", catalogue.FALLBACK)
    return _page(
        "page.html", language="en", title=words["not_found_title"], body=words["bad_purpose_body"], status_code=400
    )


@router.get("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe_page(token: str, request: Request) -> HTMLResponse:
    signer = _signer(request)
    purpose = _purpose(request.query_params.get("purpose"))
    if purpose is None:
        return _bad_purpose()

    def read(session: Session) -> tuple[str, str]:
        recipient = unsubscribing.recipient_of_token(session, signer, token)
        customer = customers.require_customer(session, customer_id=recipient.customer_id)
        return content.language_of(recipient.locale or customer.locale or catalogue.FALLBACK), customer.email or ""

    try:
        language, email = await _database(request).read(read)
    except (NotFound, Gone) as exc:
        return _link_problem(exc)
    words = catalogue.words("email", language)
    return _page(
        "unsubscribe_confirm.html",
        language=language,
        title=_worded(words, "confirm_title", purpose),
        body=_worded(words, "confirm_body", purpose).format(email=email) if email else "",
        action=f"/u/{token}",
        purpose=purpose,
        every_purpose=EVERY_PURPOSE,
        button=_worded(words, "confirm_button", purpose),
    )


@router.post("/u/{token}", response_class=HTMLResponse, include_in_schema=False, **body_cap("POST /u/{token}"))
async def unsubscribe(token: str, request: Request) -> HTMLResponse:
    """Opts the customer out of email at once. A mail client's one-click POST carries `List-Unsubscribe=One-Click`
    (recorded as source list_unsubscribe) and stops the link's purpose; the page's buttons send `purpose` (the
    link's, or '*' for every purpose) and are recorded as unsubscribe_link. The token's signature is checked before
    the form is read, so a forged link costs no more than its headers."""
    signer = _signer(request)
    try:
        unsubscribing.check_token(signer, token)
    except (NotFound, Gone) as exc:
        return _link_problem(exc)
    form = await request.form(**FORM_LIMITS)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    purpose = _purpose(form.get("purpose", request.query_params.get("purpose")))
    if purpose is None:
        return _bad_purpose()

    def write(session: Session) -> str:
        recipient = unsubscribing.unsubscribe(session, signer, token, purpose=purpose, one_click=one_click)
        customer = customers.require_customer(session, customer_id=recipient.customer_id)
        return content.language_of(recipient.locale or customer.locale or catalogue.FALLBACK)

    try:
        language = await _database(request).write(write)
    except (NotFound, Gone) as exc:
        return _link_problem(exc)
    words = catalogue.words("email", language)
    body = words["done_all_body"] if purpose == EVERY_PURPOSE else _worded(words, "done_body", purpose)
    return _page("page.html", language=language, title=words["done_title"], body=body)


# ---------------------------------------------------------------------------------------------------------------
# Bounces and complaints


def _presented_secret(request: Request) -> str | None:
    """The secret from `Authorization: Bearer <secret>` or `Basic` (any user name, the secret as password)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    found = basic_auth.credentials(header)
    return None if found is None else found[1]


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
    **body_cap("POST /webhooks/email/events"),
    responses=error_responses(400, 401, 413),
)
async def email_events(request: Request) -> dict[str, Any]:
    """Takes one event or a list (docs/channels-email-sms.md). A hard bounce or a complaint opts the address out of
    email and marks the invitation failed; a soft bounce changes nothing."""
    expected = (await effective_settings(request)).email_webhook_secret  # it may be stored in the app
    if expected is None:
        raise AuthenticationFailed("the email events webhook is not configured: set CXLOOP_EMAIL_WEBHOOK_SECRET")
    presented = _presented_secret(request)
    if presented is None:
        raise AuthenticationFailed("send the shared secret as 'Authorization: Bearer <secret>' (or Basic auth)")
    if not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode()):
        raise AuthenticationFailed("the shared secret is wrong")
    body = await read_capped_body(request, limit=MAX_EVENTS_BODY)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedWebhook("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from exc
    check_json(payload, raw=body)
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
    **body_cap("POST /webhooks/sms/twilio"),
    responses=error_responses(400, 401, 413),
)
async def twilio_inbound(request: Request) -> Response:
    """Validates `X-Twilio-Signature` against CXLOOP_PUBLIC_URL + the path, then handles the reply and answers
    with TwiML (text/xml)."""
    settings = await effective_settings(request)  # the auth token may be stored in the app
    params = await webhook_request.signed_form(request, settings, endpoint="POST /webhooks/sms/twilio")
    message, problems = parse_inbound(dict(params))
    if message is None:
        raise MalformedWebhook("the message payload has invalid fields; nothing was stored", errors=problems)
    context = replies.ReplyContext(public_url=settings.public_url, signer=_signer(request))
    reply = await _database(request).write(lambda session: replies.handle_reply(session, message, context))
    return _twiml(reply)
