"""SendGrid's Event Webhook (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/
getting-started-event-webhook-security-features).

With signature verification on, SendGrid signs timestamp + body with ECDSA P-256 / SHA-256 and sends the
base64 DER signature in `X-Twilio-Email-Event-Webhook-Signature` and the timestamp in
`X-Twilio-Email-Event-Webhook-Timestamp`; the verification key SendGrid shows (base64 of the public key) goes in
CXLOOP_SENDGRID_WEBHOOK_PUBLIC_KEY.

The body is a list of events: bounce (hard; `type` blocked is soft), dropped (the address is on SendGrid's bounce
or invalid list: hard; on its spam-report list: a complaint; on its unsubscribe list: skipped), deferred (soft),
spamreport (a complaint). Deliveries, opens, clicks and the rest are skipped. `smtp-id` is the Message-ID cxloop
gave the email, which leads to the invitation.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from cxloop.channels.email.events import EmailEvent
from cxloop.channels.email.providers.call import BounceProvider, Notifications, ProviderCall, event, json_body, require
from cxloop.channels.webhook_errors import UnusableNotification, WebhookNotAuthentic
from cxloop.core.config import Settings
from cxloop.core.errors import FieldError

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"


def _public_key(settings: Settings) -> ec.EllipticCurvePublicKey:
    encoded = settings.sendgrid_webhook_public_key
    if not encoded:
        raise WebhookNotAuthentic("the SendGrid webhook is not set up: set CXLOOP_SENDGRID_WEBHOOK_PUBLIC_KEY")
    try:
        key = load_der_public_key(base64.b64decode(encoded.strip()))
    except (ValueError, binascii.Error) as exc:
        raise WebhookNotAuthentic("CXLOOP_SENDGRID_WEBHOOK_PUBLIC_KEY is not a base64 public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise WebhookNotAuthentic("CXLOOP_SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve key")
    return key


def _authenticate(call: ProviderCall, settings: Settings) -> None:
    key = _public_key(settings)
    signature, timestamp = call.headers.get(SIGNATURE_HEADER), call.headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise WebhookNotAuthentic(
            "the request is not signed: X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required"
        )
    try:
        key.verify(base64.b64decode(signature), timestamp.encode() + call.body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise WebhookNotAuthentic("the SendGrid signature does not match the timestamp and body") from exc


def _event(index: int, item: Any) -> EmailEvent | None:
    kind = require(item, "event", str(index))
    reason = str(item.get("reason") or item.get("response") or "")[:2_000]
    where = f"{index}.email"
    fields: dict[str, Any] = {"email": require(item, "email", str(index)), "reason": reason}
    fields["message_id"] = item.get("smtp-id") or None
    dropped_reason = str(item.get("reason") or "").lower()
    if kind == "spamreport" or (kind == "dropped" and "spam" in dropped_reason):
        return event(where, type="complaint", **fields)
    if kind == "dropped" and "unsubscribe" in dropped_reason:
        return None
    if kind in ("bounce", "dropped"):
        soft = kind == "bounce" and item.get("type") == "blocked"
        return event(where, type="bounce", bounce_type="soft" if soft else "hard", **fields)
    if kind == "deferred":
        return event(where, type="bounce", bounce_type="soft", **fields)
    return None


def read(call: ProviderCall, settings: Settings) -> Notifications:
    _authenticate(call, settings)
    items = json_body(call.body)
    if not isinstance(items, list):
        raise UnusableNotification("SendGrid posts a list of events", errors=[FieldError("body", "expected a list")])
    found = Notifications()
    for index, item in enumerate(items):
        parsed = _event(index, item)
        if parsed is None:
            found.skipped += 1
        else:
            found.events.append(parsed)
    return found


PROVIDER = BounceProvider(name="sendgrid", title="SendGrid Event Webhook (ECDSA signature)", read=read)
