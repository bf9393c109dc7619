"""POST /webhooks/email/<provider>: the bounce and complaint webhooks of Amazon SES (through SNS), Postmark,
SendGrid and Mailgun, one route per provider of the registry (channels/email/providers). Each checks the request as
its provider signs it (401), reads the body (413 past its cap in core/body_caps.py, 422 naming the bad field), and
applies the notifications through the generic webhook's one path (channels/email/events.apply_events).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cxloop.channels.configuration.requests import effective_settings
from cxloop.channels.email import events
from cxloop.channels.email.providers import REGISTRY
from cxloop.channels.email.providers.call import BounceProvider, Notifications, ProviderCall
from cxloop.channels.webhook_errors import WebhookNotAuthentic
from cxloop.core.body_caps import body_cap, max_bytes
from cxloop.core.clock import utcnow
from cxloop.core.error_body import error_responses
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json
from cxloop.jobs import outbox
from cxloop.jobs.events import EMAIL_SUBSCRIPTION_CONFIRMATION
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["messaging"])


def _apply(session: Session, notifications: Notifications) -> events.EventOutcome:
    if notifications.subscription is not None:
        topic_arn, subscribe_url = notifications.subscription
        outbox.emit(session, EMAIL_SUBSCRIPTION_CONFIRMATION, {"topic_arn": topic_arn, "subscribe_url": subscribe_url})
    return events.apply_events(session, notifications.events)


def _endpoint(provider: BounceProvider) -> Callable[[Request], Awaitable[dict[str, Any]]]:
    async def receive(request: Request) -> dict[str, Any]:
        settings = await effective_settings(request)  # the providers and their secrets may be stored in the app
        if provider.name not in settings.email_bounce_providers:
            raise WebhookNotAuthentic(
                f"the {provider.title} webhook is not enabled: add '{provider.name}' to CXLOOP_EMAIL_BOUNCE_PROVIDERS"
            )
        body = await read_capped_body(request, limit=max_bytes(f"POST /webhooks/email/{provider.name}"))
        with contextlib.suppress(orjson.JSONDecodeError):  # a body that is not JSON is the provider reader's to refuse
            check_json(orjson.loads(body), raw=body)  # depth and NUL characters, as for every JSON body
        call = ProviderCall(headers={k.lower(): v for k, v in request.headers.items()}, body=body, now=utcnow())
        # In the thread pool: SES may fetch its signing certificate once.
        notifications = await run_in_threadpool(provider.read, call, settings)
        outcome = await get_async_database(request).write(lambda session: _apply(session, notifications))
        return {
            "received": len(notifications.events) + notifications.skipped,
            "skipped": notifications.skipped,
            "subscription_confirmation": notifications.subscription is not None,
            "opted_out_customers": outcome.opted_out,
            "failed_invitations": outcome.failed_invitations,
            "ignored": outcome.ignored,
            "unmatched": outcome.unmatched,
        }

    receive.__doc__ = f"Bounces and complaints from {provider.title}; docs/channels-email-sms.md."
    return receive


for _provider in REGISTRY.values():
    router.add_api_route(
        f"/webhooks/email/{_provider.name}",
        _endpoint(_provider),
        methods=["POST"],
        name=f"email_bounces_{_provider.name}",
        summary=f"Bounce and complaint notifications from {_provider.title}",
        responses=error_responses(400, 401, 413),
        **body_cap(f"POST /webhooks/email/{_provider.name}"),
    )
