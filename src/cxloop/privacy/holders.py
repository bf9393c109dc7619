"""The registry of personal-data holders: one place listing every domain that keeps data about a customer, with its
exporter, eraser and free-text scrubber (docs/development/personal-data.md).

A domain that stores personal data adds one `DataHolder` here, naming its tables; tests/privacy/test_holders.py fails
when a table with a customer reference is in no holder. Erasers run in registration order: the customers holder
comes last, because deleting the customer cascades to the rows the others counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cxloop.alerts import privacy as alerts
from cxloop.cases import follow_up_privacy as follow_ups
from cxloop.cases import privacy as cases
from cxloop.channels.widget import erasure as widget_images
from cxloop.churn import privacy as churn
from cxloop.collection import privacy as collection
from cxloop.customers import service as customers
from cxloop.governance import privacy as governance
from cxloop.invitations import privacy as invitations
from cxloop.text import privacy as text
from cxloop.text.themes import privacy as themes

Exported = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Subject:
    """The person a privacy request is about, as found before anything is erased."""

    customer_id: int
    external_id: str
    email: str | None
    phone: str | None
    name: str | None

    def identifiers(self) -> list[str]:
        """What may appear in other rows' free text: name, email, phone and external id."""
        return [value for value in (self.name, self.email, self.phone, self.external_id) if value]


@dataclass(frozen=True)
class DataHolder:
    """A domain's personal data: its tables, what it exports and erases for a subject, and how it scrubs a person's
    identifiers from the free text of other rows (None: it has no free text)."""

    name: str
    tables: tuple[str, ...]
    export: Callable[[Session, Subject], Exported]
    erase: Callable[[Session, Subject], Mapping[str, int]]
    scrub: Callable[[Session, Sequence[str]], int] | None = None


class HolderRegistry:
    """Data holders by name, in erasure order. Checked at the door; frozen at start-up."""

    def __init__(self) -> None:
        self._holders: dict[str, DataHolder] = {}
        self._frozen = False

    def register(self, holder: DataHolder, *, before: str | None = None) -> None:
        """Add a holder (at the end, or just before `before`: nothing may come after the customers holder)."""
        if self._frozen:
            raise RuntimeError("data holders are frozen: register them at start-up")
        if not isinstance(holder, DataHolder) or not holder.name:
            raise TypeError(f"a data holder needs a name, got {holder!r}")
        if holder.name in self._holders:
            raise ValueError(f"a data holder named {holder.name!r} is registered already")
        taken = {table for other in self._holders.values() for table in other.tables}
        if clash := taken.intersection(holder.tables):
            raise ValueError(f"tables {sorted(clash)} belong to another data holder")
        items = list(self._holders.items())
        at = next((i for i, (name, _) in enumerate(items) if name == before), len(items))
        items.insert(at, (holder.name, holder))
        self._holders = dict(items)

    def freeze(self) -> None:
        self._frozen = True

    def tables(self) -> set[str]:
        return {table for holder in self._holders.values() for table in holder.tables}

    def __iter__(self) -> Iterator[DataHolder]:
        return iter(tuple(self._holders.values()))


def _holder(
    name: str,
    tables: Sequence[str],
    export: Callable[..., Exported],
    erase: Callable[..., Mapping[str, int]],
    scrub: Callable[..., int] | None = None,
    *,
    email: bool = False,
) -> DataHolder:
    """A holder over a domain's functions keyed by `customer_id` (and `email` when they take it)."""

    def named(subject: Subject) -> dict[str, Any]:
        return {"customer_id": subject.customer_id, **({"email": subject.email} if email else {})}

    return DataHolder(
        name=name,
        tables=tuple(tables),
        export=lambda session, subject: export(session, **named(subject)),
        erase=lambda session, subject: erase(session, **named(subject)),
        scrub=(lambda session, needles: scrub(session, needles=needles)) if scrub else None,
    )


holders = HolderRegistry()
# Attachments first: their image files (in the data directory, no table) are found through the customer's responses,
# which the customer holder's deletion removes; the files go once the erasure commits.
holders.register(_holder("attachments", (), widget_images.export_customer_images, widget_images.count_customer_images))
holders.register(_holder("alerts", alerts.PRIVACY_TABLES, alerts.export_customer_data, alerts.erase_customer_data))
holders.register(_holder("churn", churn.PRIVACY_TABLES, churn.export_customer_data, churn.erase_customer_data))
holders.register(
    _holder(
        "follow_ups",
        follow_ups.PRIVACY_TABLES,
        follow_ups.export_customer_data,
        follow_ups.erase_customer_data,
        follow_ups.scrub_customer_text,
    )
)
holders.register(
    _holder(
        "cases", cases.PRIVACY_TABLES, cases.export_customer_data, cases.erase_customer_data, cases.scrub_customer_text
    )
)
holders.register(
    _holder("text", text.PRIVACY_TABLES, text.export_customer_data, text.erase_customer_data, text.scrub_customer_text)
)
holders.register(_holder("themes", themes.PRIVACY_TABLES, themes.export_customer_data, themes.erase_customer_data))
holders.register(
    _holder(
        "feedback",
        collection.PRIVACY_TABLES,
        collection.export_customer_data,
        collection.erase_customer_data,
        collection.scrub_customer_text,
        email=True,
    )
)
holders.register(
    _holder(
        "invitations",
        invitations.PRIVACY_TABLES,
        invitations.export_customer_data,
        invitations.erase_customer_data,
        invitations.scrub_customer_text,
    )
)
holders.register(
    _holder(
        "consent",
        governance.PRIVACY_TABLES,
        governance.export_customer_data,
        governance.erase_customer_data,
        governance.scrub_customer_text,
    )
)
holders.register(
    _holder(
        "customer",
        customers.PRIVACY_TABLES,
        customers.export_customer_data,
        customers.erase_customer_data,
        customers.scrub_customer_text,
    )
)

# Tables with a customer reference that hold no personal data, with the reason (checked by the same test).
NOT_PERSONAL: Mapping[str, str] = {
    "privacy_erasures": "the erasure record keeps only the id the erased customer had, which points at nothing",
    "audit_entries": "names customers only by their cxloop id (append-only: entries outlive an erasure, so the "
    "audited actions never record a name, email, phone or free text)",
}

# Outbox and job payloads hold ids only: these keys name rows of these tables, and an erasure takes the erased ids
# out of them (jobs/privacy.py, jobs/queue.rewrite_queued).
PAYLOAD_KEYS: Mapping[str, str] = {
    "customer_ids": "customers",
    "response_ids": "responses",
    "feedback_ids": "feedback_items",
    "invitation_ids": "invitations",
    "invitation_id": "invitations",
    "event_ids": "events",
    "case_ids": "cases",
    "case_id": "cases",
    "alert_ids": "alerts",
    "follow_up_ids": "case_follow_ups",
    "follow_up_id": "case_follow_ups",
}
# The tables whose erased ids are read from the export (each entry carries its row's "id").
_ID_SECTIONS = {name: name for name in ("responses", "feedback_items", "invitations", "events", "cases", "alerts")}
_ID_SECTIONS["follow_ups"] = "case_follow_ups"


def erased_ids(subject: Subject, exported: Mapping[str, Exported]) -> dict[str, set[int]]:
    """table -> ids of the subject's rows, from their export taken just before the erasure."""
    found: dict[str, set[int]] = {"customers": {subject.customer_id}}
    for sections in exported.values():
        for section, entries in sections.items():
            table = _ID_SECTIONS.get(section)
            if table is not None:
                found.setdefault(table, set()).update(int(e["id"]) for e in entries if "id" in e)
    return found


def payload_rewrite(erased: Mapping[str, set[int]]) -> Callable[[str, dict[str, Any]], dict[str, Any] | None]:
    """A payload rewrite (jobs) that drops erased ids: None when nothing of the payload's ids is left."""

    def rewrite(_name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        new = dict(payload)
        for key, value in payload.items():
            gone = erased.get(PAYLOAD_KEYS.get(key, ""), set())
            if not gone:
                continue
            if isinstance(value, int) and value in gone:
                return None
            if isinstance(value, list):
                kept = [v for v in value if v not in gone]
                if value and not kept:
                    return None
                new[key] = kept
        return new

    return rewrite
