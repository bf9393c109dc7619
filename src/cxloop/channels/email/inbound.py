"""POST /webhooks/email/mailgun/inbound: customers' replies to case follow-ups, as a Mailgun route forwards them
(https://documentation.mailgun.com/docs/mailgun/user-manual/receive-forward-store/ : `forward("https://.../
webhooks/email/mailgun/inbound")` on `match_recipient("reply\\+.*@<reply domain>")`).

Mailgun posts the parsed message as a form (multipart/form-data, or urlencoded without attachments): `recipient`,
`sender`, `subject`, `body-plain`, `stripped-text` (the reply without the quoted message), `Message-Id`, and
`timestamp`, `token`, `signature` signed like its webhooks (HMAC-SHA256 with CXLOOP_MAILGUN_WEBHOOK_SIGNING_KEY,
timestamp within 10 minutes, each token once: 401 otherwise). The recipient's `reply+<token>` names the follow-up;
an unknown or altered token is answered 200 `unmatched` (Mailgun would retry anything else) and stores nothing.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from cxloop.cases.service import follow_ups
from cxloop.channels.configuration.requests import effective_settings
from cxloop.channels.email.providers import mailgun
from cxloop.channels.webhook_errors import MalformedWebhook
from cxloop.core.body_caps import body_cap, form_limits
from cxloop.core.clock import utcnow
from cxloop.core.error_body import error_responses
from cxloop.core.errors import FieldError
from cxloop.core.request_checks import check_json
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["messaging"])
ENDPOINT = "POST /webhooks/email/mailgun/inbound"
_TOKEN = re.compile(r"(?:^|[\s<,])reply\+([0-9a-zA-Z-]{3,64})@", re.IGNORECASE)


async def _fields(request: Request) -> dict[str, str]:
    """The text fields of the posted form (attachments are read past and closed, never kept)."""
    try:
        async with request.form(**form_limits(ENDPOINT)) as form:
            return {name: value for name, value in form.multi_items() if not isinstance(value, UploadFile)}
    except MultiPartException as exc:
        raise MalformedWebhook("the form body cannot be read", errors=[FieldError("body", exc.message)]) from exc


def _text(form: dict[str, str], name: str) -> str:
    return form.get(name, "")


@router.post(
    "/webhooks/email/mailgun/inbound",
    summary="Replies to case follow-ups, forwarded by a Mailgun route (signed)",
    responses=error_responses(400, 401, 413),
    **body_cap(ENDPOINT),
)
async def mailgun_inbound(request: Request) -> dict[str, Any]:
    """Append the reply to its case (docs/follow-ups.md); a reply to a resolved case reopens it."""
    settings = await effective_settings(request)  # the Mailgun signing key may be stored in the app
    now = utcnow()
    form = await _fields(request)
    mailgun.authenticate(
        _text(form, "timestamp"), _text(form, "token"), _text(form, "signature"), now=now, settings=settings
    )
    for name, value in form.items():
        check_json({name: value})
    recipient = _text(form, "recipient")
    reply = (_text(form, "stripped-text") or _text(form, "body-plain")).strip()
    if not recipient:
        raise MalformedWebhook(
            "the forwarded message has no recipient", errors=[FieldError("recipient", "is required")]
        )
    message_id = _text(form, "Message-Id") or f"mailgun-token:{_text(form, 'token')}"
    found = _TOKEN.search(recipient)
    secret = settings.secret_key.get_secret_value()

    def write(session: Any) -> dict[str, Any]:
        follow_up_id = follow_ups.follow_up_of_token(session, secret, found.group(1)) if found else None
        if follow_up_id is None:
            return {"outcome": "unmatched", "follow_up_id": None, "case_id": None}
        if not reply:
            return {"outcome": "empty", "follow_up_id": follow_up_id, "case_id": None}
        outcome = follow_ups.record_reply(
            session, follow_up_id=follow_up_id, channel="email", message_id=message_id, body=reply, now=now
        )
        return {"outcome": outcome.outcome, "follow_up_id": outcome.follow_up_id, "case_id": outcome.case_id}

    return await get_async_database(request).write(write)
