"""Bounce and complaint webhooks of the common mail providers, one module each, behind one registry: each checks a
request the way its provider signs it and turns the body into the generic notifications of
channels/email/events.py, so every provider has the generic webhook's one effect (docs/channels-email-sms.md).

Adding a provider: a module with `read(call, settings) -> Notifications` and a `PROVIDER`, listed here; its route
(`POST /webhooks/email/<name>`) follows from the registry, and it is enabled by CXLOOP_EMAIL_BOUNCE_PROVIDERS.
"""

from __future__ import annotations

from cxloop.channels.email.providers import mailgun, postmark, sendgrid, ses
from cxloop.channels.email.providers.call import BounceProvider

REGISTRY: dict[str, BounceProvider] = {
    provider.name: provider for provider in (ses.PROVIDER, postmark.PROVIDER, sendgrid.PROVIDER, mailgun.PROVIDER)
}
