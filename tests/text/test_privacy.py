"""A person's analyses are in their privacy export and go with their erasure (both databases)."""

from __future__ import annotations

from cxloop.customers import service as customers
from cxloop.storage.database import Database
from cxloop.text import privacy
from tests.factories.customers import customer_data
from tests.text.conftest import add_survey, analyses, store_responses


def test_export_and_erase_one_customers_analyses(db: Database) -> None:
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        customers.upsert_customers(session, items=[customer_data(external_id="c1"), customer_data(external_id="c2")])
    mine = store_responses(db, {"nps": 2, "comment": "Awful, my name is Kim Lee", "customer_external_id": "c1"})
    other = store_responses(db, {"nps": 9, "comment": "Great", "customer_external_id": "c2"})
    with db.unit_of_work(write=True) as session:
        c1 = customers.require_customer(session, external_id="c1")
        exported = privacy.export_customer_data(session, customer_id=c1.id)
        assert [r["item_id"] for r in exported["text_analyses"]] == mine
        assert exported["text_analyses"][0]["masked_text"] == "Awful, my name is [NAME]"
        assert privacy.erase_customer_data(session, customer_id=c1.id) == {"text_analyses": 1}
    assert list(analyses(db)) == [("response", other[0])]
