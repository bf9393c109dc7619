"""A Twilio-compatible SMS client speaking Twilio's REST form API:

    POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json
    Authorization: Basic base64(AccountSid:AuthToken)
    To=+15558675310&From=+15017122661&Body=...        (or MessagingServiceSid=MG... instead of From)
    &StatusCallback=https://feedback.example.com/webhooks/sms/twilio/status?invitation=42

    201 {"sid": "SM...", "status": "queued", ...}
    4xx {"code": 21211, "message": "The 'To' number ... is not a valid phone number.", "status": 400, ...}

The base URL is configurable (`CXLOOP_SMS_BASE_URL`), so tests point it at a local server and providers that copy
Twilio's API can stand in. Uses the standard library's HTTP client: SMS sending is one request per message.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from cxloop.channels.sms.provider import SmsRejected, SmsUnavailable
from cxloop.core.config import Settings

TIMEOUT_SECONDS = 10.0  # short for the same reason as channels/email/smtp.py
# Statuses worth retrying: refused credentials (a configuration problem: once fixed, the invitation must still go
# out), rate limits, and the provider's own trouble. Every other 4xx is about this message and final.
_TEMPORARY = {401, 408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class TwilioClient:
    """Sends text messages through a Twilio-compatible REST API."""

    base_url: str
    account_sid: str
    auth_token: str
    sender: str  # a phone number (+E.164) or a Messaging Service SID (MG...)

    @property
    def messages_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages.json"

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> str:
        """Send one message; its SID. Raises SmsRejected (4xx) or SmsUnavailable (connection, 429, 5xx).

        With `status_callback`, the provider posts the message's delivery status there as it changes."""
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        fields = {"To": to, sender_field: self.sender, "Body": body}
        if status_callback is not None:
            fields["StatusCallback"] = status_callback
        form = urlencode(fields).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's configured provider
            self.messages_url,
            data=form,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310
                payload = _json(reply.read())
        except urllib.error.HTTPError as exc:
            problem = _problem(exc.code, _json(exc.read()))
            if exc.code in _TEMPORARY:
                raise SmsUnavailable(problem) from exc
            raise SmsRejected(problem) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsUnavailable(f"could not reach the SMS provider at {self.base_url}: {exc}") from exc
        sid = payload.get("sid")
        if not isinstance(sid, str) or not sid:
            raise SmsUnavailable("the SMS provider's reply has no message sid")
        return sid


def _json(raw: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _problem(status: int, payload: dict[str, object]) -> str:
    message = payload.get("message") or "no reason given"
    code = payload.get("code")
    return f"SMS provider refused the message (HTTP {status}{f', code {code}' if code else ''}): {message}"


def from_settings(settings: Settings) -> TwilioClient | None:
    """The client for the configured provider; None while SMS is not configured (account, token or sender unset)."""
    if not (settings.sms_account_sid and settings.sms_auth_token and settings.sms_from):
        return None
    return TwilioClient(
        base_url=settings.sms_base_url,
        account_sid=settings.sms_account_sid,
        auth_token=settings.sms_auth_token.get_secret_value(),
        sender=settings.sms_from,
    )
