"""Walk the channel registry: every channel with a sender sends a real invitation through it (aiosmtpd, the local
Twilio stand-in); channels without one are never sent (the customer comes to them)."""

from __future__ import annotations

from cxloop.channels import outbound
from cxloop.channels.delivery import deliver
from cxloop.core.config import Settings
from cxloop.governance.channels import registry
from cxloop.invitations import service as invitations
from cxloop.storage.database import Database
from tests.channels.messaging.conftest import SmtpServer, TwilioServer
from tests.channels.messaging.world import invite, make_customer, make_survey, noon_today, opt_in_sms, signer_of

PHONE = "+4915112345679"


def test_every_registered_sender_delivers_and_unaddressed_channels_are_never_sent(
    db: Database, settings: Settings, smtp_server: SmtpServer, sms_server: TwilioServer
) -> None:
    outbound.register_senders()
    at = noon_today()
    received = {"email": lambda: len(smtp_server.recorder.messages), "sms": lambda: len(sms_server.calls)}
    walked = []
    for number, spec in enumerate(registry):
        with db.unit_of_work(write=True) as session:
            survey = make_survey(session, key=f"walk-{number}")
            customer = make_customer(session, email=f"c{number}@example.com", phone=PHONE)
            opt_in_sms(session, customer.id)
            invitation_id = invite(session, survey, customer.id, spec.channel.value, at).id
        sent = deliver(db, invitation_id, settings=settings, signer=signer_of(settings), now=at)
        with db.unit_of_work() as session:
            invitation = invitations.get(session, invitation_id)
            assert invitation.channel == spec.channel.value
            if spec.sender is None:
                assert not sent and invitation.status == "scheduled"
                continue
            assert sent and invitation.status == "sent" and invitation.detail, invitation.detail
            assert invitation.lease_until is None  # released when recorded
        assert received[spec.channel.value]() == 1
        walked.append(spec.channel.value)
    assert walked == ["email", "sms"]
