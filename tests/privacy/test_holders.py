"""The registry of personal-data holders covers every table that refers to a customer (derived from the metadata,
so a new table fails here until its domain registers an exporter and an eraser)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxloop.migrations.metadata import metadata
from cxloop.privacy.holders import NOT_PERSONAL, DataHolder, HolderRegistry, holders
from cxloop.privacy.retention import RetentionKind, RetentionRegistry, kinds
from cxloop.storage.references import soft_columns


def _customer_tables() -> Iterator[str]:
    for table in metadata.sorted_tables:
        foreign = any(fk.column.table.name == "customers" for fk in table.foreign_keys)
        soft = "customers" in soft_columns(table.name).values()
        if table.name == "customers" or foreign or soft or "customer_id" in table.c:
            yield table.name


def test_every_table_with_a_customer_reference_has_a_holder() -> None:
    found = set(_customer_tables())
    assert {"customers", "responses", "feedback_items", "events", "invitations", "consents"} <= found
    missing = found - holders.tables() - set(NOT_PERSONAL)
    assert not missing, f"register a DataHolder in cxloop/privacy/holders.py for {sorted(missing)}"


def test_holders_name_real_tables_and_the_customer_comes_last() -> None:
    assert holders.tables() <= set(metadata.tables)
    assert set(NOT_PERSONAL) <= set(metadata.tables)
    assert [h.name for h in holders][-1] == "customer"


def _holder(name: str, *tables: str) -> DataHolder:
    return DataHolder(name=name, tables=tables, export=lambda _s, _p: {}, erase=lambda _s, _p: {})


def test_registry_checks_at_the_door_and_freezes() -> None:
    registry = HolderRegistry()
    registry.register(_holder("a", "t1"))
    registry.register(_holder("last", "t2"))
    registry.register(_holder("b", "t3"), before="last")
    assert [h.name for h in registry] == ["a", "b", "last"]
    with pytest.raises(ValueError, match="registered already"):
        registry.register(_holder("a", "t9"))
    with pytest.raises(ValueError, match="another data holder"):
        registry.register(_holder("c", "t1"))
    with pytest.raises(TypeError):
        registry.register("not a holder")  # type: ignore[arg-type]
    registry.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        registry.register(_holder("d", "t4"))


def test_retention_registry_checks_at_the_door() -> None:
    registry = RetentionRegistry()
    kind = registry.register(RetentionKind("audit_entries", "audit log", kinds.get("invitations").actions, len))  # type: ignore[union-attr]
    assert registry.get("audit_entries") is kind
    with pytest.raises(ValueError, match="registered already"):
        registry.register(kind)
    with pytest.raises(TypeError):
        registry.register(RetentionKind("x", "no actions", (), len))
    registry.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        registry.register(RetentionKind("y", "late", kind.actions, len))
    assert kinds.names()[:2] == ["attachments", "responses"]  # files are found through their responses
