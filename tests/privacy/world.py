"""A small organisation with one person to erase (Zelda) whose identifiers also appear in other people's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert, EventCreate, OutcomeCreate, SegmentCreate
from cxloop.governance import consent
from cxloop.governance.enums import ConsentSource
from cxloop.invitations import service as invitations
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from tests.factories.invitations import make_invitation
from tests.factories.surveys import make_survey, nps_definition

EXTERNAL_ID = "zed-4471"
EMAIL = "zelda.quist@example.org"
PHONE = "+12015550147"
NAME = "Zelda Quistgaard"
IDENTIFIERS = (EXTERNAL_ID, EMAIL, PHONE, NAME)
IMAGE = b"\x89PNG\r\n\x1a\n" + b"zelda-screenshot-bytes"
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    zelda_id: int
    image: Path
    zelda_scores: int  # responses with an NPS score of hers


def build_world(db: Database, data_dir: Path) -> World:
    """Zelda with responses (one with an image), feedback, events, an outcome, consent and an invitation; two other
    customers whose comments, feedback, events, outcomes and consent notes mention her."""
    make_survey(db, key="pulse", definition=nps_definition())
    image = data_dir / "widget-attachments" / "f00d.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(IMAGE)
    with db.unit_of_work() as session:
        customers.upsert_customers(
            session,
            items=[
                CustomerUpsert(
                    external_id=EXTERNAL_ID, email=EMAIL, phone=PHONE, name=NAME, attributes={"plan": "pro"}
                ),
                CustomerUpsert(
                    external_id="o1", email="olaf@example.com", name="Olaf", attributes={"plan": "pro", "ref": EMAIL}
                ),
                CustomerUpsert(external_id="o2", email="oona@example.com", name="Oona", attributes={"plan": "free"}),
            ],
        )
        customers.create_segment(session, data=SegmentCreate(key="pro", name="Pro", filter="plan = pro"))
        customers.create_segment(
            session, data=SegmentCreate(key="zelda", name="Just her", filter=f'email = "{EMAIL}" or plan = free')
        )
    with db.unit_of_work() as session:  # an earlier version of her row: its old bytes were freed without zeroing
        customers.upsert_customers(
            session, items=[CustomerUpsert(external_id=EXTERNAL_ID, attributes={"plan": "pro", "note": "x" * 1900})]
        )
    with db.unit_of_work() as session:
        mine = [
            ResponseCreate(
                survey="pulse",
                customer_external_id=EXTERNAL_ID,
                nps=score,
                comment=f"I am {NAME}, call me on {PHONE}",
                submitted_at=START + timedelta(days=i),
                metadata={"attachments": [{"file": "widget-attachments/f00d.png", "type": "image/png", "bytes": 30}]}
                if i == 0
                else {"email": EMAIL},
            )
            for i, score in enumerate((2, 9, 10))
        ]
        theirs = [
            ResponseCreate(
                survey="pulse",
                customer_external_id=external_id,
                nps=score,
                comment=f"{NAME} helped me, write to {EMAIL.upper()}" if external_id == "o1" else "fine",
                answers={"plan": "pro"},
                submitted_at=START + timedelta(days=3 * i),
            )
            for i, (external_id, score) in enumerate((("o1", 9), ("o1", 10), ("o2", 3), (None, 9)))
        ]
        collection.record_responses(session, items=[*mine, *theirs])
        collection.record_feedback(
            session,
            items=[
                FeedbackCreate(
                    kind="review",
                    source="test",
                    external_id="z1",
                    channel="review",
                    text=f"{NAME} says meh",
                    rating=2,
                    author=NAME,
                    author_email=EMAIL,
                    posted_at=START,
                ),
                FeedbackCreate(
                    kind="chat_transcript",
                    source="test",
                    external_id="o1",
                    channel="chat",
                    text=f"Oona called {PHONE} by mistake",
                    rating=4,
                    customer_external_id="o2",
                    posted_at=START + timedelta(days=2),
                ),
            ],
        )
        customers.record_events(
            session,
            items=[
                EventCreate(
                    customer_external_id=EXTERNAL_ID,
                    anonymous_id="anon-z",
                    name="signed_up",
                    properties={"email": EMAIL},
                ),
                EventCreate(anonymous_id="anon-z", name="page_viewed", properties={"title": "pricing"}),
                EventCreate(customer_external_id="o2", name="ticket_solved", properties={"note": f"cc {NAME}"}),
            ],
        )
        customers.record_outcomes(
            session,
            items=[
                OutcomeCreate(customer_external_id=EXTERNAL_ID, kind="churned", occurred_on=date(2026, 2, 1)),
                OutcomeCreate(customer_external_id="o1", kind="renewed", occurred_on=date(2026, 2, 1), note=EMAIL),
            ],
        )
        ids = customers.resolve_customer_ids(session, external_ids=[EXTERNAL_ID, "o1"])
        consent.record_change(
            session,
            purpose="*",
            customer_id=ids[EXTERNAL_ID],
            channel="sms",
            granted=True,
            source=ConsentSource.api,
            actor="agent",
            note=f"said yes on {PHONE}",
        )
        consent.record_change(
            session,
            purpose="*",
            customer_id=ids["o1"],
            channel="email",
            granted=False,
            source=ConsentSource.api,
            actor=f"colleague {NAME}",
            note="",
        )
        zelda = customers.require_customer(session, customer_id=ids[EXTERNAL_ID])
        invited = make_invitation(session, customer=zelda)
        invitations.queue_send(session, invited.invitation)  # its send job waits in the queue after the commit
        event_id = session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)).first()
        assert event_id is not None
        session.add(
            OutboxDelivery(
                event_id=event_id,
                handler="test.handler",
                status="dead",
                attempts=5,
                next_attempt_at=START,
                last_error=f"could not reach {EMAIL}",
            )
        )
    with db.unit_of_work(write=True) as session:  # what the worker's enrichment stores: analyses of every text
        for kind in ItemKind:
            text.enrich_batch(session, kind=kind, after_id=0, everything=True)
    return World(zelda_id=ids[EXTERNAL_ID], image=image, zelda_scores=3)
