"""invitations.service.expire_overdue: the UPDATE a sender needs, kept in the invitations domain (both databases)."""

from __future__ import annotations

from datetime import timedelta

from cxloop.core.clock import utcnow
from cxloop.invitations import service as invitations
from cxloop.invitations.service import InviteRequest
from cxloop.storage.database import Database
from tests.factories.customers import make_customer


def test_overdue_scheduled_invitations_expire_and_others_are_left_alone(db: Database, survey_id: int) -> None:
    now = utcnow()
    with db.unit_of_work() as session:
        ann, bo = make_customer(session, email="ann@example.com").id, make_customer(session, email="bo@example.com").id
        due = invitations.invite(session, InviteRequest(survey_id, ann, "email"), now=now)
        sent = invitations.invite(session, InviteRequest(survey_id, bo, "email"), now=now)
        invitations.mark_sent(sent, now=now)
        ids, ttl = (due.id, sent.id), due.expires_at - now
    with db.unit_of_work(write=True) as session:
        assert invitations.expire_overdue(session, now=now + ttl - timedelta(seconds=1)) == 0
        assert invitations.expire_overdue(session, now=now + ttl) == 1
    with db.unit_of_work() as session:
        assert [invitations.get(session, i).status for i in ids] == ["expired", "sent"]
        assert invitations.get(session, ids[0]).updated_at == now + ttl
