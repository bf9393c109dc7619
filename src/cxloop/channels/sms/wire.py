"""The inbound message webhook as Twilio posts it (application/x-www-form-urlencoded), reduced to what cxloop uses.

Twilio sends many more fields (AccountSid, To, NumMedia, FromCity, ...); they take part in the signature but are
not needed to handle a reply. https://www.twilio.com/docs/messaging/guides/webhook-request
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cxloop.core.errors import FieldError

MAX_BODY_CHARS = 1_600  # Twilio's own limit for one message
_PHONE = re.compile(r"^\+?[0-9]{3,20}$")
_MESSAGE_SID = re.compile(r"^(SM|MM)[0-9A-Za-z]{32}$")


@dataclass(frozen=True)
class InboundSms:
    """One text message a customer sent to the SMS number."""

    sender: str  # From, e.g. +15558675310
    body: str
    message_sid: str


def parse_inbound(form: Mapping[str, str]) -> tuple[InboundSms | None, list[FieldError]]:
    """The message, or the problems of a malformed payload (each field named)."""
    errors: list[FieldError] = []
    sender = (form.get("From") or "").strip()
    if not sender:
        errors.append(FieldError("From", "is required"))
    elif not _PHONE.match(sender):
        errors.append(FieldError("From", "must be a phone number such as +15558675310"))
    body = form.get("Body")
    if body is None:
        errors.append(FieldError("Body", "is required (it may be empty)"))
    elif len(body) > MAX_BODY_CHARS:
        errors.append(FieldError("Body", f"is longer than {MAX_BODY_CHARS} characters"))
    message_sid = (form.get("MessageSid") or "").strip()
    if not message_sid:
        errors.append(FieldError("MessageSid", "is required"))
    elif not _MESSAGE_SID.match(message_sid):
        errors.append(FieldError("MessageSid", "must be a Twilio message SID (SM or MM and 32 letters or digits)"))
    if errors or body is None:
        return None, errors
    return InboundSms(sender=sender, body=body, message_sid=message_sid), []


@dataclass(frozen=True)
class StatusReport:
    """One delivery status callback: the message, its status as Twilio names it, and the error code of a failure.

    https://www.twilio.com/docs/messaging/guides/track-outbound-message-status"""

    message_sid: str
    status: str  # accepted, scheduled, queued, sending, sent, delivered, undelivered, failed, read, canceled, ...
    error_code: str | None  # e.g. 30003 (unreachable handset), only with undelivered / failed


_STATUS = re.compile(r"^[a-z_]{1,32}$")
_ERROR_CODE = re.compile(r"^[0-9]{1,10}$")


def parse_status(form: Mapping[str, str]) -> tuple[StatusReport | None, list[FieldError]]:
    """The report, or the problems of a malformed payload (each field named)."""
    errors: list[FieldError] = []
    message_sid = (form.get("MessageSid") or "").strip()
    if not _MESSAGE_SID.match(message_sid):
        errors.append(FieldError("MessageSid", "must be a Twilio message SID (SM or MM and 32 letters or digits)"))
    status = (form.get("MessageStatus") or "").strip()
    if not _STATUS.match(status):
        errors.append(FieldError("MessageStatus", "must be a status such as delivered or undelivered"))
    error_code = (form.get("ErrorCode") or "").strip() or None
    if error_code is not None and not _ERROR_CODE.match(error_code):
        errors.append(FieldError("ErrorCode", "must be Twilio's numeric error code"))
    if errors:
        return None, errors
    return StatusReport(message_sid=message_sid, status=status, error_code=error_code), []
