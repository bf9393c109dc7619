"""A signature header holding non-ASCII characters is a forgery like any other: 401, never a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cxloop.storage.database import Database
from tests.channels.helpdesk.conftest import (
    body_of,
    counts,
    fixture,
    generic_headers,
    intercom_headers,
    zendesk_headers,
)

FORGED = "sha256=ünïcödé€".encode()  # sent as raw bytes: the server reads header values as Latin-1


@pytest.mark.parametrize(
    ("path", "headers", "header"),
    [
        ("/webhooks/helpdesk/zendesk", zendesk_headers, "X-Zendesk-Webhook-Signature"),
        ("/webhooks/helpdesk/intercom", intercom_headers, "X-Hub-Signature"),
        ("/webhooks/helpdesk/generic", generic_headers, "X-Cxloop-Signature"),
    ],
)
def test_a_non_ascii_signature_is_refused(
    db: Database, hooks: TestClient, path: str, headers: object, header: str
) -> None:
    body = body_of(fixture("generic_ticket_solved.json"))
    signed: dict[str, str | bytes] = dict(headers(body))  # type: ignore[operator]
    signed[header] = FORGED
    answer = hooks.post(path, content=body, headers=signed)
    assert answer.status_code == 401, answer.text
    assert counts(db) == {"events": 0, "feedback": 0, "customers": 0}
