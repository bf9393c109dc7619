"""Public helpdesk webhook endpoints: /webhooks/helpdesk/{zendesk,intercom,generic}.

Each checks its signature before reading the body as JSON, parses the whole payload before writing, and stores
everything in one transaction: a request refused (401 unsigned, 400 malformed) stores nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel

from cxloop.access.deps import get_principal
from cxloop.access.enums import Role
from cxloop.channels.configuration.requests import effective_settings
from cxloop.channels.helpdesk import generic, intercom, service, signatures, zendesk
from cxloop.channels.helpdesk.activity import HelpdeskActivity
from cxloop.channels.helpdesk.errors import MalformedWebhook, WebhookNotAuthentic
from cxloop.core.body_caps import body_cap, max_bytes
from cxloop.core.errors import FieldError, PermissionDenied
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json
from cxloop.storage.deps import get_async_database

router = APIRouter(prefix="/webhooks/helpdesk", tags=["helpdesk"])

MAX_BODY_BYTES = max_bytes("POST /webhooks/helpdesk/generic")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON or misses a field; the errors name each; nothing stored"},
    401: {"description": "Unsigned or wrongly signed, or the endpoint's secret is not configured"},
    403: {"description": "Sent with an API key whose role is below agent"},
    413: {"description": f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB"},
}


class WebhookReceipt(BaseModel):
    """What a webhook did. `duplicate`: its event was stored before (a resend), nothing new was recorded for it."""

    ignored: bool = False
    event: str | None = None
    duplicate: bool = False
    customer_external_id: str | None = None
    feedback_created: int = 0
    feedback_duplicates: int = 0


async def _body(request: Request) -> bytes:
    return await read_capped_body(request, limit=MAX_BODY_BYTES)


def _json(body: bytes) -> Any:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedWebhook("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from None
    return check_json(decoded, raw=body)


async def _secret(request: Request, name: str) -> str | None:
    """The webhook's secret: stored in the app by an admin, else the environment's."""
    value = getattr(await effective_settings(request), name)
    return value.get_secret_value() if value is not None else None


async def _store(request: Request, activity: HelpdeskActivity | None) -> WebhookReceipt:
    if activity is None:
        return WebhookReceipt(ignored=True)
    result = await get_async_database(request).write(lambda session: service.record_activity(session, activity))
    fields = asdict(result)
    return WebhookReceipt(duplicate=not fields.pop("event_created"), **fields)


@router.post(
    "/zendesk",
    response_model=WebhookReceipt,
    responses=_RESPONSES,
    **body_cap("POST /webhooks/helpdesk/zendesk"),
)
async def zendesk_webhook(request: Request) -> WebhookReceipt:
    """A Zendesk trigger webhook (ticket created or solved), signed with the webhook's signing secret."""
    secret = await _secret(request, "zendesk_webhook_secret")
    signature = request.headers.get("x-zendesk-webhook-signature")
    timestamp = request.headers.get("x-zendesk-webhook-signature-timestamp")
    signatures.check_zendesk_headers(secret, signature=signature, timestamp=timestamp)  # before the body
    body = await _body(request)
    signatures.check_zendesk(secret, signature=signature, timestamp=timestamp, body=body)
    return await _store(request, zendesk.parse(_json(body)))


@router.post(
    "/intercom",
    response_model=WebhookReceipt,
    responses=_RESPONSES,
    **body_cap("POST /webhooks/helpdesk/intercom"),
)
async def intercom_webhook(request: Request) -> WebhookReceipt:
    """An Intercom notification (conversation closed or created), signed with the app's client secret."""
    secret, signature = await _secret(request, "intercom_client_secret"), request.headers.get("x-hub-signature")
    signatures.check_intercom_headers(secret, signature=signature)  # before the body
    body = await _body(request)
    signatures.check_intercom(secret, signature=signature, body=body)
    return await _store(request, intercom.parse(_json(body)))


@router.post(
    "/generic",
    response_model=WebhookReceipt,
    responses=_RESPONSES,
    **body_cap("POST /webhooks/helpdesk/generic"),
)
async def generic_webhook(request: Request) -> WebhookReceipt:
    """The documented generic shape, signed with the shared secret (X-Cxloop-Signature) or sent with an API key
    of role agent or above. Everything but the signature itself is checked before the body is read."""
    signature = request.headers.get(signatures.GENERIC_HEADER)
    secret = await _secret(request, "helpdesk_webhook_secret")
    if signature is not None:
        if not secret:
            raise WebhookNotAuthentic("signed webhooks are not set up: set CXLOOP_HELPDESK_WEBHOOK_SECRET")
    elif request.headers.get("authorization"):
        principal = await get_principal(request)
        if not principal.role.includes(Role.agent):
            raise PermissionDenied(f"this needs the 'agent' role; the key has '{principal.role.value}'")
    else:
        raise WebhookNotAuthentic(
            f"sign the body with {signatures.GENERIC_HEADER} or send 'Authorization: Bearer <API key>'"
        )
    body = await _body(request)
    if signature is not None and not signatures.generic_signature_valid(secret or "", signature=signature, body=body):
        raise WebhookNotAuthentic(f"the {signatures.GENERIC_HEADER} does not match the body")
    return await _store(request, generic.parse(_json(body)))
