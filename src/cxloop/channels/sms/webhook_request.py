"""Reading a request Twilio posted to one of cxloop's SMS webhooks (replies, delivery status): authenticated first
(401), then parsed (400), so nothing is acted on unless both pass.

The signature is checked against the URL Twilio was given: CXLOOP_PUBLIC_URL + the path + the query string
(signature.py), so CXLOOP_PUBLIC_URL must be the scheme and host Twilio calls.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from cxloop.channels import messaging_content as content
from cxloop.channels.sms import signature
from cxloop.channels.webhook_errors import MalformedWebhook
from cxloop.core.body_caps import max_bytes
from cxloop.core.config import Settings
from cxloop.core.errors import AuthenticationFailed, FieldError
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json

_FORM = "application/x-www-form-urlencoded"


async def signed_form(request: Request, settings: Settings, *, endpoint: str) -> list[tuple[str, str]]:
    """The form fields of a request carrying a valid `X-Twilio-Signature`, in the order posted.

    AuthenticationFailed when the token is unset or the signature is missing or wrong; MalformedWebhook when the
    body is not a form; 413 past the cap of `endpoint` in core/body_caps.py; 422 for a NUL character."""
    if settings.sms_auth_token is None:
        raise AuthenticationFailed("the SMS webhooks are not configured: set CXLOOP_SMS_AUTH_TOKEN")
    presented = request.headers.get("x-twilio-signature")
    if not presented:
        raise AuthenticationFailed("the X-Twilio-Signature header is missing")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != _FORM:
        raise MalformedWebhook(
            f"Twilio posts {_FORM}", errors=[FieldError("content-type", f"expected {_FORM}, got '{media_type}'")]
        )
    body = await read_capped_body(request, limit=max_bytes(endpoint))
    try:
        params = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook("the form body cannot be parsed", errors=[FieldError("body", str(exc))]) from exc
    url = content.base_url(settings.public_url) + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    if not signature.is_valid(url, params, settings.sms_auth_token.get_secret_value(), presented):
        raise AuthenticationFailed(f"the X-Twilio-Signature does not match a request to {url}")
    for name, value in params:
        check_json({name: value})
    return params
