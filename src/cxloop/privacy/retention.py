"""The registry of data kinds under retention: each names the actions it allows and the domain function that counts
(limit None: a dry run) or applies a policy to rows older than a cutoff, at most `limit` at a time.

Kinds are tried in registration order: attachments before responses, whose metadata finds the files. Another
domain's data kind (the audit log, ...) registers here at start-up (docs/development/personal-data.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.audit import service as audit
from cxloop.cases import follow_up_privacy as follow_ups
from cxloop.channels.widget import erasure as widget_images
from cxloop.collection import privacy as collection
from cxloop.customers import service as customers
from cxloop.invitations import privacy as invitations
from cxloop.privacy.enums import RetentionAction

# (session, *, before, action, limit) -> rows touched (limit None: only counted)
Apply = Callable[..., int]


@dataclass(frozen=True)
class RetentionKind:
    """A data kind a retention policy can name."""

    name: str
    description: str
    actions: tuple[RetentionAction, ...]
    apply: Apply


class RetentionRegistry:
    """Data kinds by name, in the order they are applied. Checked at the door; frozen at start-up."""

    def __init__(self) -> None:
        self._kinds: dict[str, RetentionKind] = {}
        self._frozen = False

    def register(self, kind: RetentionKind) -> RetentionKind:
        if self._frozen:
            raise RuntimeError("retention data kinds are frozen: register them at start-up")
        if not isinstance(kind, RetentionKind) or not kind.name or not kind.actions or not callable(kind.apply):
            raise TypeError(f"a retention kind needs a name, actions and an apply function, got {kind!r}")
        if kind.name in self._kinds:
            raise ValueError(f"a retention kind named {kind.name!r} is registered already")
        self._kinds[kind.name] = kind
        return kind

    def freeze(self) -> None:
        self._frozen = True

    def get(self, name: str) -> RetentionKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return list(self._kinds)

    def __iter__(self) -> Iterator[RetentionKind]:
        return iter(tuple(self._kinds.values()))


kinds = RetentionRegistry()
_BOTH = (RetentionAction.delete, RetentionAction.anonymise)
_DELETE = (RetentionAction.delete,)


def _images(session: Session, *, before: datetime, action: str, limit: int | None) -> int:
    return widget_images.image_retention(session, before=before, action=action, limit=limit)


kinds.register(
    RetentionKind(
        "attachments", "image files attached to widget responses (by response submission time)", _DELETE, _images
    )
)
kinds.register(
    RetentionKind(
        "responses",
        "survey responses; anonymise keeps scores, timestamps and placement",
        _BOTH,
        collection.response_retention,
    )
)
kinds.register(
    RetentionKind(
        "feedback_text",
        "feedback items (reviews, transcripts, emails); anonymise keeps the rating and timestamps",
        _BOTH,
        collection.feedback_retention,
    )
)
kinds.register(
    RetentionKind("events", "behavioural events; anonymise keeps the name and time", _BOTH, customers.event_retention)
)
kinds.register(
    RetentionKind("invitations", "invitations no longer waiting to be sent", _DELETE, invitations.invitation_retention)
)
kinds.register(
    RetentionKind(
        "follow_ups",
        "case follow-ups and the customers' replies (anonymised only: the record that a customer was told stays)",
        (RetentionAction.anonymise,),
        follow_ups.follow_up_retention,
    )
)
kinds.register(
    RetentionKind(
        "audit_entries",
        "audit log entries (deleted only: nothing else can remove them)",
        _DELETE,
        audit.audit_retention,
    )
)
