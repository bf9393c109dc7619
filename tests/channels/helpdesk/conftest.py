"""A client on the real app with helpdesk secrets configured, and senders that sign like the real providers.

Signatures are computed here from the providers' documented recipes, independently of cxloop's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from cxloop.app import create_app
from cxloop.collection.models import FeedbackItem
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.customers.models import Customer, Event
from cxloop.storage.database import Database

ZENDESK_SECRET = "dGhpc19pc19hX3Rlc3Rfc2lnbmluZ19zZWNyZXQ="
INTERCOM_SECRET = "test-intercom-client-secret"
GENERIC_SECRET = "test-generic-shared-secret"
FIXTURES = Path(__file__).parent / "fixtures"

Post = Callable[..., httpx.Response]


def fixture(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return payload


def body_of(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else orjson.dumps(payload)


def zendesk_headers(body: bytes, *, secret: str = ZENDESK_SECRET, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp or utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def intercom_headers(body: bytes, *, secret: str = INTERCOM_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature": f"sha1={signature}"}


def generic_headers(body: bytes, *, secret: str = GENERIC_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Cxloop-Signature": f"sha256={signature}"}


@pytest.fixture
def hooks(db_url: str, db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """The real app with all three helpdesk secrets set."""
    settings = Settings(
        environment="test",
        database_url=db_url,
        data_dir=tmp_path / "data",
        zendesk_webhook_secret=SecretStr(ZENDESK_SECRET),
        intercom_client_secret=SecretStr(INTERCOM_SECRET),
        helpdesk_webhook_secret=SecretStr(GENERIC_SECRET),
    )
    with TestClient(create_app(settings, database=db)) as client:
        yield client


@pytest.fixture
def post_zendesk(hooks: TestClient) -> Post:
    def post(payload: dict[str, Any] | bytes, **signing: Any) -> httpx.Response:
        body = body_of(payload)
        return hooks.post("/webhooks/helpdesk/zendesk", content=body, headers=zendesk_headers(body, **signing))

    return post


@pytest.fixture
def post_intercom(hooks: TestClient) -> Post:
    def post(payload: dict[str, Any] | bytes, **signing: Any) -> httpx.Response:
        body = body_of(payload)
        return hooks.post("/webhooks/helpdesk/intercom", content=body, headers=intercom_headers(body, **signing))

    return post


def counts(db: Database) -> dict[str, int]:
    """How many events, feedback items and customers are stored."""
    with db.unit_of_work() as session:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("events", Event), ("feedback", FeedbackItem), ("customers", Customer))
        }


def stored_events(db: Database) -> list[tuple[Event, str | None]]:
    """Every event with its customer's external id, oldest first."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Event, Customer.external_id).outerjoin(Customer, Customer.id == Event.customer_id).order_by(Event.id)
        ).all()
        session.expunge_all()
        return [(event, external_id) for event, external_id in rows]


def stored_feedback(db: Database) -> list[FeedbackItem]:
    with db.unit_of_work() as session:
        items = list(session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)))
        session.expunge_all()
        return items
