"""The customers list and the customer page's consent as Tables (sortable headers, `?export=<key>` as CSV)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cxloop.customers.schemas import CustomerRead
from cxloop.web.tables import Cell, Column, Row, Table, text

CUSTOMER_COLUMNS = (
    Column("Customer", csv=("Customer", "Customer id")),
    Column("Email"),
    Column("Account"),
    Column("Stage"),
)


def customers_table(found: Sequence[CustomerRead]) -> Table:
    """The customers of the page, each linked to their page."""
    rows = tuple(
        Row(
            (
                Cell(c.name or c.external_id, (c.name, c.external_id), href=f"/customers/{c.id}"),
                text(c.email),
                text(c.account_external_id),
                text(c.stage),
            )
        )
        for c in found
    )
    return Table("customers", "Customers", CUSTOMER_COLUMNS, rows)


def _may(ok: bool) -> Cell:
    return Cell("✓ yes" if ok else "✕ no", ("yes" if ok else "no",), chip="yes" if ok else "no")


def consent_table(consent: Mapping[str, Mapping[str, bool]]) -> Table:
    """Purpose by channel: may it be used (the stored consent over the defaults)."""
    channels = list(next(iter(consent.values()), {}))
    columns = (Column("Purpose"), *(Column(channel) for channel in channels))
    rows = tuple(
        Row((text(purpose.replace("_", " ")), *(_may(allowed[channel]) for channel in channels)))
        for purpose, allowed in consent.items()
    )
    return Table("consent", "Consent by purpose and channel", columns, rows)
