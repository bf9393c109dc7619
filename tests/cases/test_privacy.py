"""A person's cases in privacy exports and erasures: exported with their activity, erased with them, and their
identifiers scrubbed from other customers' cases."""

from __future__ import annotations

from sqlalchemy import func, select

from cxloop.cases import service as cases
from cxloop.cases.models import Case, CaseActivity, CaseTrigger
from cxloop.cases.schemas import SYSTEM
from cxloop.jobs.models import OutboxEvent
from cxloop.privacy import service as privacy
from cxloop.storage.database import Database
from tests.factories.cases import open_case
from tests.factories.customers import make_customer


def test_cases_are_exported_erased_and_scrubbed(db: Database) -> None:
    with db.unit_of_work() as session:
        ada = make_customer(session, external_id="ada-1", email="ada@example.com", name="Ada Lovelace")
        bob = make_customer(session, external_id="bob-1")
        mine, _ = open_case(session, ada.id, 1, title="Broken invoice")
        cases.add_note(session, case_id=mine.id, text="she was upset", actor=SYSTEM)
        other, _ = open_case(session, bob.id, 2, title="Bob mentions Ada Lovelace")
        cases.add_note(session, case_id=other.id, text="cc ada@example.com", actor=SYSTEM)
        ids = mine.id, other.id
    with db.unit_of_work() as session:
        exported = privacy.export_customer(session, reference="ada-1").holders["cases"]["cases"]
    assert [c["id"] for c in exported] == [ids[0]] and exported[0]["title"] == "Broken invoice"
    assert [a["note"] for a in exported[0]["activity"] if a["kind"] == "note"] == ["she was upset"]
    with db.unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference="ada-1", requested_by="test")
    assert erasure.record.removed["cases"] == 1 and erasure.erased["cases"] == {ids[0]}
    with db.unit_of_work() as session:
        assert session.scalars(select(Case.id)).all() == [ids[1]]
        assert session.scalar(select(func.count()).select_from(CaseTrigger)) == 1
        assert session.scalar(select(Case.title)) == "Bob mentions [erased]"
        notes = session.scalars(select(CaseActivity.note).where(CaseActivity.note.is_not(None))).all()
        assert notes == ["cc [erased]"]
        payloads = [e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.name.like("case.%")))]
        assert all(ids[0] not in p.get("case_ids", []) for p in payloads)
