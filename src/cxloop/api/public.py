"""Public endpoints: what customers and third-party providers reach (hosted survey pages, the widget, kiosk, email
links, SMS and helpdesk webhooks). Mounted at the root, apart from the authenticated /api/v1; each validates its
own input and authenticates by token, signature or site key instead of an API key."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cxloop.branding.routes import public_router as branding_router
from cxloop.channels.email.inbound import router as email_inbound_router
from cxloop.channels.email.provider_routes import router as email_providers_router
from cxloop.channels.helpdesk.routes import router as helpdesk_router
from cxloop.channels.hosted.routes import router as hosted_router
from cxloop.channels.messaging_routes import router as messaging_router
from cxloop.channels.sms.status_route import router as sms_status_router
from cxloop.channels.widget.inbound import router as widget_router
from cxloop.customers.routes.segment_tracking import router as segment_router

ROUTERS: list[APIRouter] = [
    helpdesk_router,
    hosted_router,
    widget_router,
    messaging_router,
    email_inbound_router,
    email_providers_router,
    sms_status_router,
    segment_router,
    branding_router,
]


def include_public_routers(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
