"""POST /webhooks/sms/twilio/status: the delivery status of invitation SMS, as Twilio posts it to the
StatusCallback the sender gave (docs/channels-email-sms.md, "Delivery status"). Signed like the reply webhook."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from cxloop.channels.configuration.requests import effective_settings
from cxloop.channels.sms import status_reports, webhook_request
from cxloop.channels.sms.wire import parse_status
from cxloop.channels.webhook_errors import MalformedWebhook
from cxloop.core.body_caps import body_cap
from cxloop.core.error_body import error_responses
from cxloop.core.errors import FieldError
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["messaging"])


@router.post(
    "/webhooks/sms/twilio/status",
    summary="Delivery status callbacks of invitation SMS (Twilio format)",
    responses=error_responses(400, 401, 413),
    **body_cap("POST /webhooks/sms/twilio/status"),
)
async def twilio_status(request: Request) -> dict[str, Any]:
    """Validates `X-Twilio-Signature`, then records the status on the invitation named by `?invitation=`: a later
    stage only, so retried and reordered callbacks never move it back."""
    settings = await effective_settings(request)  # the auth token may be stored in the app
    params = await webhook_request.signed_form(request, settings, endpoint="POST /webhooks/sms/twilio/status")
    report, problems = parse_status(dict(params))
    invitation = request.query_params.get("invitation", "")
    if not invitation.isdigit() or len(invitation) > 18:
        problems.append(FieldError("invitation", "the query parameter must be the invitation's id"))
    if report is None or problems:
        raise MalformedWebhook("the status callback has invalid fields; nothing was stored", errors=problems)
    invitation_id = int(invitation)
    outcome = await get_async_database(request).write(
        lambda session: status_reports.apply_status(session, invitation_id, report)
    )
    return {"invitation_id": invitation_id, "status": report.status, "outcome": outcome.value}
