"""Mailgun's webhooks for failed and complained events (https://documentation.mailgun.com/docs/mailgun/user-manual/
tracking-messages/#securing-webhooks).

Every request carries `signature: {timestamp, token, signature}`, the signature being the hex HMAC-SHA256 of
timestamp + token with the webhook signing key (CXLOOP_MAILGUN_WEBHOOK_SIGNING_KEY). A request is refused when its
timestamp is more than REPLAY_WINDOW away from now, or when its token was seen already by this process (a replay).

`event-data.event` failed with `severity` permanent suppresses the recipient, temporary changes nothing;
complained opts out. The Message-ID in `event-data.message.headers.message-id` leads to the invitation.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from cxloop.channels.email.providers.call import BounceProvider, Notifications, ProviderCall, event, json_body, require
from cxloop.channels.webhook_errors import WebhookNotAuthentic
from cxloop.core.config import Settings
from cxloop.core.hashing import same_text

REPLAY_WINDOW = timedelta(minutes=10)
_MAX_TOKENS = 100_000


class SeenTokens:
    """Tokens of the signed requests this process took within the replay window (older ones are forgotten: their
    timestamp refuses them anyway). Per process: across processes a replay can only repeat an idempotent effect."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_time(self, token: str, *, now: datetime) -> bool:
        """Remember `token`; False when it was seen already."""
        with self._lock:
            if len(self._until) >= _MAX_TOKENS:
                self._until = {t: until for t, until in self._until.items() if until > now}
            if self._until.get(token, now) > now:
                return False
            self._until[token] = now + 2 * REPLAY_WINDOW
            return True


seen = SeenTokens()


def signature_of(key: str, timestamp: str, token: str) -> str:
    """Mailgun's signature: hex HMAC-SHA256 of timestamp + token with the signing key."""
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def _authenticate(payload: Any, call: ProviderCall, settings: Settings) -> None:
    signed = payload.get("signature") if isinstance(payload, dict) else None
    parts = [signed.get(name) if isinstance(signed, dict) else None for name in ("timestamp", "token", "signature")]
    timestamp, token, signature = (part if isinstance(part, str) else "" for part in parts)
    authenticate(timestamp, token, signature, now=call.now, settings=settings)


def authenticate(timestamp: str, token: str, signature: str, *, now: datetime, settings: Settings) -> None:
    """Check a Mailgun signature (webhooks and routes sign alike); WebhookNotAuthentic when it does not hold, is
    stale, or was seen already."""
    key = settings.mailgun_webhook_signing_key
    if key is None:
        raise WebhookNotAuthentic("the Mailgun webhook is not set up: set CXLOOP_MAILGUN_WEBHOOK_SIGNING_KEY")
    if not (timestamp and token and signature):
        raise WebhookNotAuthentic("the request is not signed: signature.timestamp, .token and .signature are required")
    if not same_text(signature.lower(), signature_of(key.get_secret_value(), timestamp, token)):
        raise WebhookNotAuthentic("the Mailgun signature does not match the timestamp and token")
    if not timestamp.isdigit() or abs(now - datetime.fromtimestamp(int(timestamp), UTC)) > REPLAY_WINDOW:
        raise WebhookNotAuthentic(f"the signature's timestamp is more than {REPLAY_WINDOW} away from now")
    if not seen.first_time(token, now=now):
        raise WebhookNotAuthentic("this signed request was received before (a replay)")


def _section(data: Any, key: str) -> dict[str, Any]:
    found = data.get(key) if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def read(call: ProviderCall, settings: Settings) -> Notifications:
    payload = json_body(call.body)
    _authenticate(payload, call, settings)
    data = require(payload, "event-data", "")
    kind = require(data, "event", "event-data")
    if kind not in ("failed", "complained"):
        return Notifications(skipped=1)
    recipient = require(data, "recipient", "event-data")
    message = _section(data, "message")
    message_id = _section(message, "headers").get("message-id") or None
    status = _section(data, "delivery-status")
    reason = str(status.get("description") or status.get("message") or data.get("reason") or "")[:2_000]
    fields: dict[str, Any] = {"email": recipient, "message_id": message_id, "reason": reason}
    if kind == "complained":
        return Notifications(events=[event("event-data.recipient", type="complaint", **fields)])
    bounce_type = "hard" if data.get("severity") == "permanent" else "soft"
    return Notifications(events=[event("event-data.recipient", type="bounce", bounce_type=bounce_type, **fields)])


PROVIDER = BounceProvider(name="mailgun", title="Mailgun (HMAC-SHA256 signature)", read=read)
