"""Amazon SES bounce and complaint notifications, delivered by an SNS topic over HTTPS
(https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html).

Every SNS message is signed (sns_certificates.py) and names its topic, which must be one of CXLOOP_SES_TOPIC_ARNS:
anyone can create a topic of their own, so a valid signature alone proves nothing. Message types:

- SubscriptionConfirmation: confirmed by fetching its SubscribeURL (which must match the same URL pattern); the
  request only writes an outbox event, and the worker makes the request (channels/email/tasks.py);
- Notification: its `Message` is SES's JSON. `notificationType` (or `eventType`, for configuration-set events)
  Bounce: `bounceType` Permanent suppresses every bounced recipient, Transient and Undetermined are soft and change
  nothing; Complaint opts every complained recipient out. Deliveries and other types are skipped;
- UnsubscribeConfirmation: skipped.

Raw message delivery must stay off on the subscription: cxloop needs SNS's signed envelope.
"""

from __future__ import annotations

from typing import Any

import orjson

from cxloop.channels.email.events import EmailEvent
from cxloop.channels.email.providers import sns_certificates
from cxloop.channels.email.providers.call import BounceProvider, Notifications, ProviderCall, event, json_body, require
from cxloop.channels.webhook_errors import UnusableNotification, WebhookNotAuthentic
from cxloop.core.config import Settings
from cxloop.core.errors import FieldError

_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")


def _envelope(call: ProviderCall) -> dict[str, str]:
    message = json_body(call.body)
    if not isinstance(message, dict) or not all(isinstance(v, str) for v in message.values()):
        raise UnusableNotification(
            "the body is not an SNS message", errors=[FieldError("body", "expected an object of strings")]
        )
    kind = require(message, "Type", "")
    if kind not in _TYPES:
        raise UnusableNotification("unknown SNS message type", errors=[FieldError("Type", f"'{kind}' is not known")])
    for name in sns_certificates.canonical_fields(kind):
        if name != "Subject":
            require(message, name, "")
    return message


def _message_id(mail: Any) -> str | None:
    common = mail.get("commonHeaders") if isinstance(mail, dict) else None
    found = common.get("messageId") if isinstance(common, dict) else None
    return found if isinstance(found, str) and found else None


def _recipients(section: Any, key: str, where: str) -> list[str]:
    listed = require(section, key, where)
    if not isinstance(listed, list):
        raise UnusableNotification("a recipient list is expected", errors=[FieldError(f"{where}.{key}", "not a list")])
    return [require(entry, "emailAddress", f"{where}.{key}") for entry in listed]


def _events(notification: Any) -> list[EmailEvent] | None:
    if not isinstance(notification, dict):
        raise UnusableNotification("Message is not SES JSON", errors=[FieldError("Message", "expected an object")])
    kind = notification.get("notificationType") or notification.get("eventType")
    message_id = _message_id(notification.get("mail"))
    if kind == "Bounce":
        bounce = require(notification, "bounce", "Message")
        bounce_type = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
        reason = f"{bounce.get('bounceType', '')}/{bounce.get('bounceSubType', '')}"
        where = "Message.bounce.bouncedRecipients"
        return [
            event(where, type="bounce", email=email, message_id=message_id, reason=reason, bounce_type=bounce_type)
            for email in _recipients(bounce, "bouncedRecipients", "Message.bounce")
        ]
    if kind == "Complaint":
        complaint = require(notification, "complaint", "Message")
        reason = str(complaint.get("complaintFeedbackType") or "")
        where = "Message.complaint.complainedRecipients"
        return [
            event(where, type="complaint", email=email, message_id=message_id, reason=reason)
            for email in _recipients(complaint, "complainedRecipients", "Message.complaint")
        ]
    return None


def read(call: ProviderCall, settings: Settings) -> Notifications:
    if not settings.ses_topic_arns:
        raise WebhookNotAuthentic("the SES webhook is not set up: list your SNS topics in CXLOOP_SES_TOPIC_ARNS")
    message = _envelope(call)
    if message["TopicArn"] not in settings.ses_topic_arns:
        raise WebhookNotAuthentic(f"topic {message['TopicArn']} is not in CXLOOP_SES_TOPIC_ARNS")
    sns_certificates.verify(message, url_pattern=settings.ses_sns_url_pattern, now=call.now)
    if message["Type"] == "SubscriptionConfirmation":
        url = message["SubscribeURL"]
        if not sns_certificates.allowed_url(url, settings.ses_sns_url_pattern):
            raise UnusableNotification(
                "the SubscribeURL is not an Amazon SNS address", errors=[FieldError("SubscribeURL", url[:200])]
            )
        return Notifications(subscription=(message["TopicArn"], url))
    if message["Type"] == "UnsubscribeConfirmation":
        return Notifications(skipped=1)
    try:
        notification = orjson.loads(message["Message"])
    except orjson.JSONDecodeError as exc:
        raise UnusableNotification("Message is not JSON", errors=[FieldError("Message", str(exc))]) from exc
    found = _events(notification)
    return Notifications(skipped=1) if found is None else Notifications(events=found)


PROVIDER = BounceProvider(name="ses", title="Amazon SES through SNS (signed messages)", read=read)
