"""The SMS channel's sender: composes the invitation text in the claiming transaction and posts it to the provider
afterwards, with no transaction open (channels.outbound)."""

from __future__ import annotations

from cxloop.channels.outbound import DeliveryPostponed, DeliveryRefused, Exchange, Letter
from cxloop.channels.sms import composing, twilio
from cxloop.channels.sms.provider import SmsRejected, SmsUnavailable


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
    return lambda: _send(client, letter.address, body)


def _send(client: twilio.TwilioClient, to: str, body: str) -> str:
    try:
        return client.send(to=to, body=body)
    except SmsRejected as exc:
        raise DeliveryRefused(str(exc)) from exc
    except SmsUnavailable as exc:
        raise DeliveryPostponed(str(exc)) from exc
