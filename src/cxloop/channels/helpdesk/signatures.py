"""Webhook signature checks, each as its provider documents it. Every failure says why, in plain words."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from cxloop.channels.helpdesk.errors import WebhookNotAuthentic
from cxloop.core.clock import parse_instant, utcnow
from cxloop.core.hashing import same_text

# Zendesk signs the timestamp with the body, so an old request replayed later is refused. Retries are signed anew.
ZENDESK_MAX_AGE = timedelta(hours=1)
GENERIC_HEADER = "X-Cxloop-Signature"


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + body)), as Zendesk sends in X-Zendesk-Webhook-Signature."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def intercom_signature(secret: str, body: bytes) -> str:
    """'sha1=' + hex HMAC-SHA1(client secret, body), as Intercom sends in X-Hub-Signature."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def generic_signature(secret: str, body: bytes) -> str:
    """'sha256=' + hex HMAC-SHA256(shared secret, body): what the generic endpoint expects in X-Cxloop-Signature."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _require_secret(secret: str | None, setting: str) -> str:
    if not secret:
        raise WebhookNotAuthentic(f"this webhook is not set up: set {setting} to the signing secret")
    return secret


def check_zendesk_headers(
    secret: str | None, *, signature: str | None, timestamp: str | None, now: datetime | None = None
) -> str:
    """What can be checked before the body is read (issue 10: a forged request should cost no body): the secret is
    set up, both headers are there and the timestamp is fresh. The key to check the signature with."""
    key = _require_secret(secret, "CXLOOP_ZENDESK_WEBHOOK_SECRET")
    if not signature or not timestamp:
        raise WebhookNotAuthentic(
            "the request is not signed: X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp "
            "are required"
        )
    try:
        signed_at = parse_instant(timestamp)
    except ValueError:
        raise WebhookNotAuthentic("X-Zendesk-Webhook-Signature-Timestamp is not an ISO-8601 timestamp") from None
    if abs((now or utcnow()) - signed_at) > ZENDESK_MAX_AGE:
        raise WebhookNotAuthentic("the Zendesk signature timestamp is more than an hour away from now")
    return key


def check_zendesk(
    secret: str | None, *, signature: str | None, timestamp: str | None, body: bytes, now: datetime | None = None
) -> None:
    """WebhookNotAuthentic unless the request carries a fresh, valid Zendesk signature."""
    key = check_zendesk_headers(secret, signature=signature, timestamp=timestamp, now=now)
    assert signature is not None and timestamp is not None  # checked above
    if not same_text(signature.strip(), zendesk_signature(key, timestamp, body)):
        raise WebhookNotAuthentic("the Zendesk signature does not match the body and timestamp")


def check_intercom_headers(secret: str | None, *, signature: str | None) -> str:
    """Before the body is read: the secret is set up and X-Hub-Signature is there. The key."""
    key = _require_secret(secret, "CXLOOP_INTERCOM_CLIENT_SECRET")
    if not signature:
        raise WebhookNotAuthentic("the request is not signed: X-Hub-Signature is required")
    return key


def check_intercom(secret: str | None, *, signature: str | None, body: bytes) -> None:
    """WebhookNotAuthentic unless X-Hub-Signature is Intercom's HMAC-SHA1 of the body."""
    key = check_intercom_headers(secret, signature=signature)
    assert signature is not None  # checked above
    if not same_text(signature.strip().lower(), intercom_signature(key, body)):
        raise WebhookNotAuthentic("the X-Hub-Signature does not match the body")


def generic_signature_valid(secret: str, *, signature: str, body: bytes) -> bool:
    return same_text(signature.strip().lower(), generic_signature(secret, body))
