"""invitations.service.create_invitation (by survey key, customer external id and touchpoint key, as the API names
them) and list_invitations, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cxloop.collection.enums import Channel
from cxloop.core.clock import utcnow
from cxloop.invitations import service as invitations
from cxloop.invitations.errors import InvalidInvitation
from cxloop.invitations.schemas import InvitationCreate
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from tests.factories.customers import make_customer


def _setup(db: Database) -> tuple[str, int]:
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        touchpoint_key, (touchpoint_id, _) = next(iter(journeys.touchpoint_index(session).items()))
        make_customer(session, external_id="c-1", email="ann@example.com")
        return touchpoint_key, touchpoint_id


def test_a_link_invitation_names_its_parts_by_key_and_counts_as_sent_at_once(db: Database, survey_id: int) -> None:
    touchpoint_key, touchpoint_id = _setup(db)
    data = InvitationCreate(
        survey="relationship-nps", customer_external_id="c-1", channel=Channel.link, touchpoint=touchpoint_key
    )
    with db.unit_of_work() as session:
        invitation = invitations.create_invitation(session, data=data)
        assert (invitation.survey_id, invitation.touchpoint_id) == (survey_id, touchpoint_id)
        assert (invitation.status, invitation.detail) == ("sent", "link returned by the API")
        assert invitation.sent_at is not None


def test_an_email_invitation_stays_scheduled_for_the_worker(db: Database, survey_id: int) -> None:
    _setup(db)
    data = InvitationCreate(survey="relationship-nps", customer_external_id="c-1", channel=Channel.email)
    with db.unit_of_work() as session:
        invitation = invitations.create_invitation(session, data=data)
        assert (invitation.status, invitation.touchpoint_id, invitation.sent_at) == ("scheduled", None, None)


def test_unknown_names_are_refused_field_by_field(db: Database, survey_id: int) -> None:
    _setup(db)
    data = InvitationCreate(survey="nope", customer_external_id="ghost", channel=Channel.email, touchpoint="nowhere")
    with db.unit_of_work() as session, pytest.raises(InvalidInvitation) as refused:
        invitations.create_invitation(session, data=data)
    assert [error.field for error in refused.value.errors] == ["survey", "customer_external_id", "touchpoint"]
    with db.unit_of_work() as session:
        assert invitations.list_invitations(session).total == 0


def test_listing_filters_sorts_and_pages(db: Database, survey_id: int) -> None:
    _setup(db)
    with db.unit_of_work() as session:
        make_customer(session, external_id="c-2", email="bo@example.com")
    with db.unit_of_work() as session:
        for external_id, channel in (("c-1", Channel.email), ("c-2", Channel.link)):
            data = InvitationCreate(survey="relationship-nps", customer_external_id=external_id, channel=channel)
            invitations.create_invitation(session, data=data)
    with db.unit_of_work() as session:
        everything = invitations.list_invitations(session)
        assert everything.total == 2
        assert [i.id for i in everything.items] == sorted((i.id for i in everything.items), reverse=True)
        assert [i.channel for i in invitations.list_invitations(session, status="scheduled").items] == ["email"]
        assert [i.channel for i in invitations.list_invitations(session, channel="link").items] == ["link"]
        assert invitations.list_invitations(session, survey_id=survey_id + 1).total == 0
        assert invitations.list_invitations(session, since=utcnow() + timedelta(hours=1)).total == 0
        page = invitations.list_invitations(session, sort="id", limit=1, offset=1)
        assert (page.total, len(page.items), page.items[0].id) == (2, 1, max(i.id for i in everything.items))
