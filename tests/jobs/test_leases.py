"""Sending outside any transaction (jobs/leases.py through channels.delivery): a mail server that accepts the
connection and never answers holds no database lock, so responses POSTed meanwhile are stored at full speed; a
lease is respected while it lives and taken again once it ran out."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cxloop.channels.delivery import DeliveryPostponed, deliver
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.invitations.tokens import TokenSigner
from cxloop.jobs import leases
from cxloop.storage.database import Database
from tests.factories.customers import make_customer
from tests.factories.surveys import make_survey

URL = "/api/v1/responses"
SIGNER = TokenSigner(b"lease-test-secret")


class SilentServer:
    """A TCP server that accepts every connection and never sends a byte (an SMTP server that hangs)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._held.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def _email_invitation(db: Database, email: str = "ana@example.com") -> int:
    survey_id = make_survey(db).id
    with db.unit_of_work() as session:
        customer = make_customer(session, email=email)
        request = invitations.InviteRequest(survey_id=survey_id, customer_id=customer.id, channel="email")
        invitation = invitations.invite(session, request)
        assert invitation.status == "scheduled", invitation.reason
        return invitation.id


def test_responses_are_stored_at_full_speed_while_the_mail_server_hangs(
    db: Database, settings: Settings, api: TestClient, silent_server: SilentServer
) -> None:
    invitation_id = _email_invitation(db)
    hanging = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{silent_server.port}"})
    outcome: list[BaseException | bool] = []

    def send() -> None:
        try:
            outcome.append(deliver(db, invitation_id, settings=hanging, signer=SIGNER))
        except DeliveryPostponed as exc:
            outcome.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    assert silent_server.accepted.wait(10), "the worker never reached the mail server"
    single: list[float] = []
    for n in range(200):
        started = time.perf_counter()
        sent = api.post(URL, json={"survey": "rnps", "nps": n % 11, "customer_external_id": f"c-{n}"})
        single.append(time.perf_counter() - started)
        assert sent.status_code == 201, sent.text
    batches: list[float] = []
    for n in range(10):
        items = [{"survey": "rnps", "nps": 7, "customer_external_id": f"b-{n}-{i}"} for i in range(50)]
        started = time.perf_counter()
        sent = api.post(URL, json={"items": items})
        batches.append(time.perf_counter() - started)
        assert sent.status_code == 201 and sent.json()["created"] == 50, sent.text
    # The whole time, the worker was still waiting for the server's greeting (its 10 s timeout)...
    assert sender.is_alive(), "the SMTP exchange ended before the responses were posted: the test proves nothing"
    # ...and no POST waited for it: inside a write transaction (before), on SQLite each would wait for the lock.
    assert max(single) < 2.0, f"slowest single POST took {max(single):.2f} s"
    assert max(batches) < 3.0, f"slowest batch POST took {max(batches):.2f} s"
    silent_server.close()  # the server goes away without a greeting: the worker gives up now, not at its timeout
    sender.join(30)
    (result,) = outcome
    assert isinstance(result, DeliveryPostponed)
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert invitation.status == "scheduled"  # still due: the next sweep after the retry delay sends it
        assert invitation.lease_until is not None and invitation.lease_until > utcnow()
        assert session.query(Invitation).count() == 1


def test_a_live_lease_is_respected_and_a_run_out_one_taken_again(db: Database, settings: Settings) -> None:
    invitation_id = _email_invitation(db)
    now = utcnow()
    with db.unit_of_work() as session:  # a worker claimed it and was killed before recording
        claimed = leases.claim(session, Invitation, invitation_id, now=now)
        assert claimed is not None
        until = leases.hold(claimed, now=now)
    assert until == now + leases.LEASE
    with db.unit_of_work() as session:
        assert leases.claim(session, Invitation, invitation_id, now=now + timedelta(minutes=1)) is None
        taken = leases.claim(session, Invitation, invitation_id, now=until + timedelta(seconds=1))
        assert taken is not None and taken.id == invitation_id
    unconfigured = settings.model_copy(update={"smtp_url": None})
    assert not deliver(db, invitation_id, settings=unconfigured, signer=SIGNER, now=now + timedelta(minutes=1))
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation_id).status == "scheduled"  # left to the lease holder
    deliver(db, invitation_id, settings=unconfigured, signer=SIGNER, now=until + timedelta(seconds=1))
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert (invitation.status, invitation.detail) == ("failed", "email is not configured: set CXLOOP_SMTP_URL")
