"""Postmark's bounce and spam-complaint webhooks (https://postmarkapp.com/developer/webhooks/bounce-webhook).

Postmark signs nothing. Its webhook URL may carry basic-auth credentials
(`https://user:password@feedback.example.com/webhooks/email/postmark`), which Postmark sends as an Authorization
header: they must equal CXLOOP_POSTMARK_WEBHOOK_USER and CXLOOP_POSTMARK_WEBHOOK_PASSWORD. (Postmark also
publishes the addresses its webhooks come from, for a firewall rule in front of cxloop.)

One record per request: `RecordType` Bounce (its `Type` says which: HardBounce, BadEmailAddress and
ManuallyDeactivated suppress the address; SoftBounce, Transient, DnsError, AutoResponder, ... are soft and change
nothing) or SpamComplaint (opts out). Deliveries, opens, clicks and subscription changes are skipped.
"""

from __future__ import annotations

from typing import Any

from cxloop.channels import basic_auth
from cxloop.channels.email.providers.call import BounceProvider, Notifications, ProviderCall, event, json_body, require
from cxloop.channels.webhook_errors import UnusableNotification, WebhookNotAuthentic
from cxloop.core.config import Settings
from cxloop.core.errors import FieldError
from cxloop.core.hashing import same_text

HARD = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated"})


def _authenticate(call: ProviderCall, settings: Settings) -> None:
    user, password = settings.postmark_webhook_user, settings.postmark_webhook_password
    if not user or password is None:
        raise WebhookNotAuthentic(
            "the Postmark webhook is not set up: set CXLOOP_POSTMARK_WEBHOOK_USER and CXLOOP_POSTMARK_WEBHOOK_PASSWORD"
        )
    presented = basic_auth.credentials(call.headers.get("authorization", ""))
    if presented is None:
        raise WebhookNotAuthentic("put the credentials in the webhook URL: https://user:password@host/...")
    matches = same_text(presented[0], user) & same_text(presented[1], password.get_secret_value())
    if not matches:
        raise WebhookNotAuthentic("the webhook credentials are wrong")


def read(call: ProviderCall, settings: Settings) -> Notifications:
    _authenticate(call, settings)
    record: Any = json_body(call.body)
    if not isinstance(record, dict):
        raise UnusableNotification("Postmark posts one JSON object", errors=[FieldError("body", "expected an object")])
    kind = require(record, "RecordType", "")
    if kind not in ("Bounce", "SpamComplaint"):
        return Notifications(skipped=1)
    email = require(record, "Email", "")
    reason = str(record.get("Description") or record.get("Details") or record.get("Type") or "")[:2_000]
    if kind == "SpamComplaint" or record.get("Type") == "SpamComplaint":
        return Notifications(events=[event("Email", type="complaint", email=email, reason=reason)])
    bounce_type = "hard" if record.get("Type") in HARD else "soft"
    return Notifications(events=[event("Email", type="bounce", email=email, reason=reason, bounce_type=bounce_type)])


PROVIDER = BounceProvider(name="postmark", title="Postmark (basic auth)", read=read)
