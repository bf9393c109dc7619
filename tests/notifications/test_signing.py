"""Standard Webhooks signatures, checked with the official `standardwebhooks` verifier as a receiver would."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cxloop.notifications import signing


def test_a_new_secret_is_whsec_and_base64_of_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_official_verifier_accepts_our_signature_and_refuses_a_changed_body() -> None:
    secret, body, now = signing.new_secret(), b'{"type":"webhook.test","data":{}}', int(time.time())
    headers = signing.headers(secret, webhook_id="msg_1", timestamp=now, body=body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "webhook.test", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"test", b"tost"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_the_receiver_refuses_a_timestamp_outside_its_tolerance() -> None:
    secret, body = signing.new_secret(), b"{}"
    stale = int(time.time()) - 10 * 60  # the verifier allows 5 minutes either way: replays are refused
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, signing.headers(secret, webhook_id="msg_1", timestamp=stale, body=body))
    future = int(time.time()) + 10 * 60
    with pytest.raises(WebhookVerificationError, match="too new"):
        Webhook(secret).verify(body, signing.headers(secret, webhook_id="msg_1", timestamp=future, body=body))
