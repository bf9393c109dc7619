"""The follow-up tests talk to the real counterparts of tests/channels/messaging: an SMTP server (aiosmtpd) and a
local Twilio stand-in; replies arrive signed as Mailgun and Twilio sign them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from cxloop.core.config import Settings
from tests.channels.messaging.conftest import SmtpServer, TwilioServer, messaging_settings, sms_server, smtp_server

__all__ = ["settings", "sms_server", "smtp_server"]

MAILGUN_KEY = "key-follow-up-test-signing"
REPLY_DOMAIN = "reply.acme.example"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smtp_server: SmtpServer, sms_server: TwilioServer) -> Settings:
    return messaging_settings(
        db_url,
        tmp_path,
        smtp_server,
        sms_server,
        mailgun_webhook_signing_key=SecretStr(MAILGUN_KEY),
        follow_up_reply_domain=REPLY_DOMAIN,
    )
