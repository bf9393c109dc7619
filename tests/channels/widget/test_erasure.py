"""A deleted customer's widget images leave the data directory with them, only after the deletion commits, and only
files inside the attachment folder (whatever a response's metadata claims)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.channels.widget.attachments import store_image
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.channels.widget.conftest import live_survey
from tests.factories.customers import make_customer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _response_with(db: Database, external_id: str, files: list[str]) -> None:
    attachments = [{"file": name, "type": "image/png", "bytes": len(PNG)} for name in files]
    with db.unit_of_work(write=True) as session:
        collection.record_responses(
            session,
            items=[
                ResponseCreate(
                    survey="feedback",
                    customer_external_id=external_id,
                    channel="web",
                    nps=7,
                    metadata={"attachments": attachments},
                )
            ],
        )


def test_deleting_a_customer_removes_their_images_after_the_commit(db: Database, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"  # the db fixture wires the domains with this data directory
    live_survey(db, "relationship-nps", key="feedback")
    mine, theirs = store_image(PNG, data_dir=data_dir), store_image(PNG, data_dir=data_dir)
    outside = data_dir / "cxloop-precious.txt"
    outside.write_text("not an attachment")
    with db.unit_of_work(write=True) as session:
        ann, bo = make_customer(session, external_id="ann").id, make_customer(session, external_id="bo").id
    _response_with(db, "ann", [mine.name, "widget-attachments/../cxloop-precious.txt"])
    _response_with(db, "bo", [theirs.name])

    with pytest.raises(RuntimeError), db.unit_of_work(write=True) as session:
        customers.delete_customer(session, customer_id=ann)
        raise RuntimeError("the deletion rolls back")
    assert mine.path.exists()  # rolled back: nothing removed

    with db.unit_of_work(write=True) as session:
        customers.delete_customer(session, customer_id=ann)
    assert not mine.path.exists()
    assert theirs.path.exists() and outside.exists()
    with db.unit_of_work() as session:
        assert customers.require_customer(session, customer_id=bo).external_id == "bo"
