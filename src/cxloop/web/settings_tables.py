"""The settings' tables as Tables (sortable headers, `?export=<key>` as CSV): the people with their teams, role and
state (changed by the forms the page draws in the last columns), and the active API keys (never the key itself)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cxloop.access.schemas import ApiKeyRead, UserRead
from cxloop.web.tables import Cell, Column, Row, Table, text

USER_COLUMNS = (
    Column("Email"),
    Column("Name"),
    Column("Teams"),
    Column("Role", shown=False),  # changed in the Role column the page draws
    Column("State", shown=False),
)
KEY_COLUMNS = (
    Column("Name"),
    Column("Starts with"),
    Column("Role"),
    Column("Created", numeric=True),
    Column("Last used", numeric=True),
)


def users_table(users: Iterable[Any], *, teams_of: Mapping[int, Sequence[str]], me: int) -> Table:
    """Every user; `me` is marked, the deactivated are greyed; the row key is the user's id."""
    rows = []
    for user in (UserRead.model_validate(u) for u in users):
        state = "active" if user.is_active else "deactivated"
        rows.append(
            Row(
                (
                    text(user.email, note="you" if user.id == me else ""),
                    text(user.name),
                    text(", ".join(teams_of.get(user.id, ()))),
                    text(user.role.value),
                    text(state),
                ),
                key=str(user.id),
                muted=not user.is_active,
            )
        )
    return Table("users", "People", USER_COLUMNS, tuple(rows), controls=("Role", "State"))


def keys_table(keys: Iterable[Any]) -> Table:
    """The active API keys: name, first characters, role, when made and last used; the row key is the key's id."""
    rows = []
    for key in (ApiKeyRead.model_validate(k) for k in keys):
        used = key.last_used_at
        rows.append(
            Row(
                (
                    text(key.name),
                    Cell(f"{key.prefix}…", (key.prefix,)),
                    text(key.role.value),
                    Cell(key.created_at.strftime("%Y-%m-%d"), (key.created_at,)),
                    Cell(used.strftime("%Y-%m-%d %H:%M") if used else "never", (used,)),
                ),
                key=str(key.id),
            )
        )
    return Table("api-keys", "Active keys", KEY_COLUMNS, tuple(rows), controls=("Revoke",))
