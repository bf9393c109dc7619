"""What a mail provider's webhook module gets (the request, read) and gives back (notifications in the generic
shape of channels/email/events.py, so every provider has the one effect the generic webhook has)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from cxloop.channels.email.events import EmailEvent
from cxloop.channels.webhook_errors import UnusableNotification
from cxloop.core.config import Settings
from cxloop.core.errors import FieldError


@dataclass(frozen=True)
class ProviderCall:
    """One request to a provider's webhook: headers (names in lower case), the body as sent, and when it came."""

    headers: Mapping[str, str]
    body: bytes
    now: datetime


@dataclass
class Notifications:
    """What the request said, in the generic shape; `skipped` counts what the provider reported that cxloop does
    not act on (deliveries, opens, clicks); `subscription` is an SNS subscription to confirm (topic, URL)."""

    events: list[EmailEvent] = field(default_factory=list)
    skipped: int = 0
    subscription: tuple[str, str] | None = None


@dataclass(frozen=True)
class BounceProvider:
    """One provider's webhook: `read` authenticates the request (WebhookNotAuthentic) and turns its body into
    notifications (UnusableNotification), with no database work; it may block (SES fetches a certificate)."""

    name: str  # the URL's last part: POST /webhooks/email/<name>
    title: str
    read: Callable[[ProviderCall, Settings], Notifications]


def json_body(body: bytes) -> Any:
    """The parsed JSON body, or UnusableNotification naming the body."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UnusableNotification("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from exc


def event(field_name: str, **values: Any) -> EmailEvent:
    """A generic notification built from a provider's fields; UnusableNotification naming `field_name` (where the
    provider's payload held it) when they do not make a valid one (e.g. a malformed address)."""
    try:
        return EmailEvent.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in exc.errors())
        raise UnusableNotification(
            "the notification cannot be used; nothing was stored", errors=[FieldError(field_name, problems)]
        ) from exc


def require(mapping: Any, key: str, where: str) -> Any:
    """mapping[key], or UnusableNotification naming `where`.`key`."""
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise UnusableNotification(
            f"the notification lacks '{key}'", errors=[FieldError(f"{where}.{key}" if where else key, "is required")]
        )
    return mapping[key]
