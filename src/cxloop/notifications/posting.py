"""One HTTP POST to a destination, with a short timeout, no redirects followed and the answer read to a small cap.

The outcome is an `Answer`; nothing raises, so the sender records every attempt (a receiver that is down, refuses,
times out or answers 5xx is a failure to retry; nothing fails silently)."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from cxloop.core.clock import utcnow

TIMEOUT_SECONDS = 10.0
_READ_CAP = 16_384  # of the answer: enough for an error message, never a receiver's whole page
USER_AGENT = "cxloop-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """How one attempt went: delivered (2xx), or the error; `retry_after` when the receiver asked for a pause
    (429/503 with Retry-After), `permanent` when trying again cannot help (Slack's invalid_payload)."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    permanent: bool = False


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = TIMEOUT_SECONDS) -> Answer:
    """POST `body` (JSON) to `url`."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"content-type": "application/json", "user-agent": USER_AGENT, **headers},
        )
        reply = connection.getresponse()
        text = reply.read(_READ_CAP).decode("utf-8", "replace").strip()
    except TimeoutError:
        return Answer(False, error=f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(False, error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
    if 200 <= reply.status < 300:
        return Answer(True, status=reply.status)
    return Answer(
        False,
        status=reply.status,
        error=f"HTTP {reply.status}: {text[:300]}" if text else f"HTTP {reply.status}",
        retry_after=_retry_after(reply.getheader("retry-after")) if reply.status in (429, 503) else None,
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
