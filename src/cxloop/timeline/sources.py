"""The registry of timeline sources: one place listing what each domain puts on a customer's timeline.

A domain with something that happens to a customer adds one `TimelineSource` here, over the `*_entries` function of
its own `timeline` module; the caller's view (which cases, whether links that act as the customer are shown) is
handed to the sources that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.cases import follow_up_timeline as follow_ups
from cxloop.cases import timeline as cases
from cxloop.cases.schemas import Scope
from cxloop.collection import timeline as collection
from cxloop.customers import timeline as customers
from cxloop.governance import timeline as governance
from cxloop.invitations import timeline as invitations
from cxloop.invitations.timeline import AnswerLink
from cxloop.storage.timeline import Position, TimelineEntry
from cxloop.text import service as text


@dataclass(frozen=True)
class View:
    """What the caller may see: the cases of `case_scope`, invitation answer links when `answer_link` is set
    (agents and above: the link acts as the customer), and free text as `role` may read it (masked below analyst)."""

    case_scope: Scope
    answer_link: AnswerLink | None = None
    role: Role = Role.viewer


Read = Callable[[Session, int, Position | None, int, View], list[TimelineEntry]]


@dataclass(frozen=True)
class TimelineSource:
    """A kind of timeline entry and how to read a customer's entries of it, newest first before a position."""

    kind: str
    read: Read


class SourceRegistry:
    """Timeline sources by kind. Frozen at start-up."""

    def __init__(self) -> None:
        self._sources: dict[str, TimelineSource] = {}
        self._frozen = False

    def register(self, source: TimelineSource) -> None:
        if self._frozen:
            raise RuntimeError("timeline sources are frozen: register them at start-up")
        if source.kind in self._sources:
            raise ValueError(f"a timeline source of kind {source.kind!r} is registered already")
        self._sources[source.kind] = source

    def freeze(self) -> None:
        self._frozen = True

    def kinds(self) -> list[str]:
        return sorted(self._sources)

    def __iter__(self) -> Iterator[TimelineSource]:
        return iter(tuple(self._sources.values()))


def _plain(kind: str, read: Callable[..., list[TimelineEntry]]) -> TimelineSource:
    """A source that shows the same entries to every caller."""
    return TimelineSource(
        kind,
        lambda session, customer_id, before, limit, _view: read(
            session, customer_id=customer_id, before=before, limit=limit
        ),
    )


def _in_scope(kind: str, read: Callable[..., list[TimelineEntry]]) -> TimelineSource:
    """A source of case entries: only those of the cases the caller may see."""
    return TimelineSource(
        kind,
        lambda session, customer_id, before, limit, view: read(
            session, customer_id=customer_id, before=before, limit=limit, scope=view.case_scope
        ),
    )


def _free_text(kind: str, read: Callable[..., list[TimelineEntry]], *, in_scope: bool = False) -> TimelineSource:
    """A source of the customer's own words: `shown` masks them (and their author) below analyst; with `in_scope`,
    only those of the cases the caller may see."""

    def entries(
        session: Session, customer_id: int, before: Position | None, limit: int, view: View
    ) -> list[TimelineEntry]:
        def shown(words: str, author: str | None = None, author_email: str | None = None) -> str:
            return text.text_for_role(words, role=view.role, author=author, author_email=author_email) or ""

        scope = {"scope": view.case_scope} if in_scope else {}
        return read(session, customer_id=customer_id, before=before, limit=limit, shown=shown, **scope)

    return TimelineSource(kind, entries)


sources = SourceRegistry()
sources.register(_plain("response", collection.response_entries))
sources.register(_free_text("feedback", collection.feedback_entries))
sources.register(_plain("event", customers.event_entries))
sources.register(_plain("consent", governance.consent_entries))
sources.register(
    TimelineSource(
        "invitation",
        lambda session, customer_id, before, limit, view: invitations.invitation_entries(
            session, customer_id=customer_id, before=before, limit=limit, answer_link=view.answer_link
        ),
    )
)
sources.register(_in_scope("case", cases.case_entries))
sources.register(_in_scope("follow_up", follow_ups.follow_up_entries))
sources.register(_free_text("follow_up_reply", follow_ups.follow_up_reply_entries, in_scope=True))
sources.freeze()
