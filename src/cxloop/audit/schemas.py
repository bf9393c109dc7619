from __future__ import annotations

import getpass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cxloop.audit.enums import ActorKind
from cxloop.core.clock import JsonDateTime


class AuditActor(BaseModel):
    """Who acted and from where; the request's or the command's, handed to `audit.record`."""

    model_config = ConfigDict(frozen=True)

    kind: ActorKind
    id: str | None = None  # the API key's id; the OS user at the command line
    name: str = ""
    role: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def cli(cls) -> AuditActor:
        """The person running a `cxloop` command, as `cli:<os user>`."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (e.g. a container without /etc/passwd entry)
            user = "unknown"
        return cls(kind=ActorKind.cli, id=user, name=f"cli:{user}")

    @classmethod
    def system(cls, name: str) -> AuditActor:
        """cxloop itself (a periodic job such as retention)."""
        return cls(kind=ActorKind.system, id=name, name=name)

    @property
    def label(self) -> str:
        """`<kind>:<id>`, the form the `actor` filter takes."""
        return f"{self.kind.value}:{self.id}" if self.id else self.kind.value


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: JsonDateTime
    action: str
    actor: str = Field(description="`api_key:<id>`, `cli:<os user>`, `anonymous` or `system:<job>`")
    actor_name: str
    actor_role: str | None
    ip: str | None
    user_agent: str | None
    target_type: str
    target_id: str | None
    changes: dict[str, Any]


class AuditEntryPage(BaseModel):
    """Newest first; pass `next_cursor` as `cursor` for the next (older) page, null at the end."""

    items: list[AuditEntryRead]
    next_cursor: int | None
