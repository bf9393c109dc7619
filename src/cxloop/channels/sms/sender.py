"""The SMS channel's sender: composes the invitation text in the claiming transaction and posts it to the provider
afterwards, with no transaction open (channels.outbound)."""

from __future__ import annotations

from cxloop.channels import messaging_content as content
from cxloop.channels.outbound import DeliveryPostponed, DeliveryRefused, Exchange, Letter
from cxloop.channels.sms import composing, twilio
from cxloop.channels.sms.provider import SmsRejected, SmsUnavailable

STATUS_PATH = "/webhooks/sms/twilio/status"


def prepare(letter: Letter) -> Exchange:
    """The exchange that sends this letter's text message (it returns the provider's message sid)."""
    client = twilio.from_settings(letter.settings)
    if client is None:
        raise DeliveryRefused(
            "SMS is not configured: set CXLOOP_SMS_ACCOUNT_SID, CXLOOP_SMS_AUTH_TOKEN and CXLOOP_SMS_FROM"
        )
    body = composing.invitation_text(
        letter.definition,
        default_locale=letter.default_locale,
        locale=letter.locale,
        survey_link=letter.survey_url,
        reminder=letter.reminder,
        organisation=letter.brand.organisation_name,
    )
    # The invitation's own message reports its delivery (channels/sms/status_route.py); a reminder's does not.
    callback = None if letter.reminder else status_callback_url(letter.settings.public_url, letter.invitation_id)
    return lambda: send_text(client, letter.address, body, callback)


def status_callback_url(public_url: str, invitation_id: int) -> str:
    """Where the provider posts the delivery status of an invitation's message (signed like the reply webhook)."""
    return f"{content.base_url(public_url)}{STATUS_PATH}?invitation={invitation_id}"


def send_text(client: twilio.TwilioClient, to: str, body: str, callback: str | None) -> str:
    try:
        return client.send(to=to, body=body, status_callback=callback)
    except SmsRejected as exc:
        raise DeliveryRefused(str(exc)) from exc
    except SmsUnavailable as exc:
        raise DeliveryPostponed(str(exc)) from exc
