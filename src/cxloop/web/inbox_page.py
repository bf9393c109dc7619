"""The case inbox (/cases) and its bulk actions (POST /cases/bulk).

Agents see the cases of their teams, analysts and admins every case, as in the API. A bulk action changes each
selected case through the same service call as the single action (life-cycle rules, activity log, outbox events),
each in a savepoint of its own (`cases.change_each`): the cases the rules refuse are listed with the reason in
words, the others are changed. The answer is the inbox again with that report above it.

With `every=N` the action applies to every case of the inbox's filter, not only those ticked: the page first asks to
confirm naming N; when the filter no longer matches N cases, nothing changes and the page asks again with the new
number. Up to IN_REQUEST_UP_TO cases are changed in the request, in batches of `cases.MAX_BULK` (each case as
above); more (at most EVERY_LIMIT) become a run of the worker (cases/service/bulk_runs.py) over the cases matched at
confirmation, whose progress and counts the inbox shows (bulk_runs_panel.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.branding.current import load_brand
from cxloop.cases import service as cases
from cxloop.cases.enums import CasePriority, CaseStatus
from cxloop.cases.schemas import Actor, CaseRead, Scope
from cxloop.core.body_caps import body_cap
from cxloop.core.clock import utcnow
from cxloop.core.errors import InvalidInput
from cxloop.customers import service as customers
from cxloop.storage.deps import SessionDep, get_database
from cxloop.web import inbox
from cxloop.web.auth import AgentPage, require_csrf, web_actor
from cxloop.web.bulk_runs_panel import bulk_runs_panel
from cxloop.web.csv_export import csv_export, table_header, table_rows
from cxloop.web.filters import BadFilter
from cxloop.web.forms import refusal_status
from cxloop.web.rendering import render, user_zone
from cxloop.web.service import SignedIn
from cxloop.web.tables import Table

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PAGE_SIZE = 25
# What the bulk bar can do, and how its report says it was done.
DONE_WORDS = {"acknowledge": "Acknowledged", "resolve": "Resolved", "close": "Closed", "assign": "Assigned"}
IN_REQUEST_UP_TO = 500  # an action on every case of a filter above this many cases runs in the worker
EVERY_LIMIT = cases.MAX_RUN  # cases one "every case of this filter" action may change
SHOWN_IN_REPORT = 100  # case numbers a report lists; beyond them it says how many more


@dataclass(frozen=True)
class BulkReport:
    """What a bulk action did: the cases changed, and each refused case with the reason in words."""

    done: str
    changed: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changed_shown(self) -> list[int]:
        return self.changed[:SHOWN_IN_REPORT]

    @property
    def refused_shown(self) -> list[tuple[int, str]]:
        return self.refused[:SHOWN_IN_REPORT]


def _case_filters(status: str, priority: str) -> tuple[tuple[CaseStatus, ...], CasePriority | None]:
    if status and status not in (*CaseStatus.__members__, "open", "all"):
        raise BadFilter("status", f"'{status[:20]}' is not open, all or one of: {', '.join(CaseStatus)}")
    if priority and priority not in CasePriority.__members__:
        raise BadFilter("priority", f"'{priority[:20]}' is not one of: {', '.join(CasePriority)}")
    statuses = inbox.OPEN if status in ("", "open") else () if status == "all" else (CaseStatus(status),)
    return statuses, CasePriority(priority) if priority else None


def _scope(session: Session, user: SignedIn) -> Scope:
    return cases.scope_of(session, role=user.role, user_id=user.user_id)


def _people(session: Session) -> dict[int, str]:
    return {u.id: u.name or u.email for u in access.list_users(session)}


def _owners(session: Session, user: SignedIn, team_ids: set[int], people: dict[int, str]) -> list[tuple[str, str]]:
    """The bulk bar's owner choices: yourself, then the members and leads of the teams of the cases shown."""
    ids = {i for team_id in team_ids for i in inbox.assignable_ids(session, team_id=team_id)} - {user.user_id}
    others = sorted(((str(i), people.get(i, f"user {i}")) for i in ids), key=lambda p: p[1].lower())
    return [("me", f"me ({user.display_name})"), *others]


def _table(session: Session, reads: list[CaseRead], people: dict[int, str], *, now: datetime, zone: str) -> Table:
    names = customers.display_names(session, customer_ids=(c.customer_id for c in reads))
    return inbox.inbox_table(reads, customers=names, people=people, now=now, zone=zone)


def _list(
    session: Session,
    user: SignedIn,
    statuses: tuple[CaseStatus, ...],
    priority: CasePriority | None,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[CaseRead], str | None]:
    """One page of the filter's cases (newest first) and the next page's cursor; a bad cursor is refused (400)."""
    try:
        rows, next_cursor = cases.list_cases(
            session, scope=_scope(session, user), status=statuses, priority=priority, cursor=cursor, limit=limit
        )
    except InvalidInput as exc:
        first = exc.errors[0] if exc.errors else None
        raise BadFilter(first.field if first else "cursor", first.message if first else str(exc)) from exc
    return cases.case_reads(session, rows), next_cursor


def inbox_csv(request: Request, session: Session, user: SignedIn, *, status: str, priority: str) -> Response:
    """Every case of the filter (not only the page shown), as the inbox table's CSV: streamed, at most EXPORT_ROWS."""
    statuses, chosen_priority = _case_filters(status, priority)
    now, zone = utcnow(), user_zone(request, user)
    header = table_header(inbox.inbox_table([], customers={}, people={}, now=now, zone=zone))

    def read(batch: Session, cursor: str | None, limit: int) -> tuple[list[list[str]], str | None]:
        reads, next_cursor = _list(batch, user, statuses, chosen_priority, cursor=cursor, limit=limit)
        return table_rows(_table(batch, reads, _people(batch), now=now, zone=zone)), next_cursor

    return csv_export("inbox", session, get_database(request), header, read)


def inbox_page(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    *,
    status: str,
    priority: str,
    cursor: str | None = None,
    report: BulkReport | None = None,
    status_code: int = 200,
) -> Response:
    """The inbox of `status` and `priority`, newest first, with a bulk action's report when there is one."""
    statuses, chosen_priority = _case_filters(status, priority)
    reads, next_cursor = _list(session, user, statuses, chosen_priority, cursor=cursor, limit=PAGE_SIZE)
    people = _people(session)
    matching = cases.count_matching_cases(
        session, scope=_scope(session, user), status=statuses, priority=chosen_priority, up_to=EVERY_LIMIT
    )
    now = utcnow()
    return render(
        request,
        "cases.html",
        user=user,
        status_code=status_code,
        title="Cases",
        cases=_table(session, reads, people, now=now, zone=user_zone(request, user)),
        actions={case.id: case.actions for case in reads},
        owners=_owners(session, user, {c.team_id for c in reads if c.team_id is not None}, people),
        status=status or "open",
        priority=priority,
        statuses=list(CaseStatus),
        priorities=list(CasePriority),
        next_cursor=next_cursor,
        report=report,
        matching=matching,
        every_limit=EVERY_LIMIT,
        in_request_up_to=IN_REQUEST_UP_TO,
        bulk_runs=bulk_runs_panel(session, user),
        filter_words=_filter_words(status, priority),
        now=now,
    )


def _every_id(
    session: Session, user: SignedIn, statuses: tuple[CaseStatus, ...], priority: CasePriority | None
) -> list[int]:
    """Every case of the filter the user may see, newest first; one more than EVERY_LIMIT when there are more."""
    return cases.matching_case_ids(
        session, scope=_scope(session, user), status=statuses, priority=priority, limit=EVERY_LIMIT + 1
    )


def _filter_words(status: str, priority: str) -> str:
    """'open, any priority': the inbox's filter in words, for the confirmation."""
    return f"{(status or 'open').replace('_', ' ')}, {f'{priority} priority' if priority else 'any priority'}"


@router.get("/cases")
def cases_page(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    status: Annotated[str, Query(max_length=20)] = "open",
    priority: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The case inbox: agents see their teams' cases, analysts and admins every case (as in the API)."""
    if request.query_params.get("export") == "inbox":
        return inbox_csv(request, session, user, status=status, priority=priority)
    return inbox_page(request, session, user, status=status, priority=priority, cursor=cursor)


def _form_refused(request: Request, user: SignedIn, name: str, reason: str) -> Response:
    """A bulk form the page refuses before any case is asked (nothing selected, an unknown action): 422."""
    return render(
        request,
        "message.html",
        user=user,
        status_code=422,
        title="No case was changed",
        message="The bulk action could not be applied. Nothing was changed.",
        field=name,
        reason=reason,
        back="/cases",
        back_label="Back to the inbox",
    )


def _case_ids(values: list[str]) -> list[int] | str:
    """The selected case numbers, or why they cannot be read."""
    if not values:
        return "select at least one case"
    if len(values) > cases.MAX_BULK:
        return f"at most {cases.MAX_BULK} cases at once"
    bad = next((v for v in values if not v.isdigit() or len(v) > 12), None)
    return f"'{bad[:20]}' is not a case number" if bad is not None else [int(v) for v in values]


def _every_ids(
    session: Session, user: SignedIn, statuses: tuple[CaseStatus, ...], priority: CasePriority | None, every: str
) -> list[int] | str:
    """Every case of the filter, or why an action on them all cannot be read."""
    if not every.isdigit() or int(every) < 1:
        return f"'{every[:12]}' is not a number of cases"
    ids = _every_id(session, user, statuses, priority)
    if len(ids) > EVERY_LIMIT:
        return f"this filter matches more than {EVERY_LIMIT:,} cases: narrow it first"
    return ids or "the filter matches no case any more"


def _confirm(
    request: Request,
    user: SignedIn,
    ids: list[int],
    every: str,
    fields: dict[str, str],
    *,
    status: str,
    priority: str,
    done: str,
) -> Response:
    """The confirmation naming how many cases the action changes (409 when the filter's count moved since)."""
    moved = str(len(ids)) != every
    return render(
        request,
        "cases_confirm.html",
        user=user,
        status_code=409 if moved else 200,
        title=f"{done}: all {len(ids):,} cases of this filter?",
        count=len(ids),
        asked=every,
        moved=moved,
        fields={name: value for name, value in fields.items() if value},
        status=status,
        priority=priority,
        filter_words=_filter_words(status, priority),
        in_worker=len(ids) > IN_REQUEST_UP_TO,
    )


class _Refused(Exception):
    """A bulk form the page refuses before any case is asked: the field and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name, self.reason = name, reason


def _change(session: Session, user: SignedIn, form: dict[str, str]) -> tuple[cases.BulkChange, str, str]:
    """The form's change, its words ('Assigned to Ana') and the new owner's name; _Refused naming the field the
    form lacks or gets wrong."""
    action, owner = form["action"], form["owner"]
    if action not in cases.BULK_ACTIONS:
        raise _Refused("action", f"'{action[:20]}' is not one of: {', '.join(cases.BULK_ACTIONS)}")
    if action == "assign":
        owner_id = user.user_id if owner == "me" else int(owner) if owner.isdigit() and len(owner) < 12 else None
        if owner_id is None:
            raise _Refused("owner", "choose who the cases go to")
        owner_name = _people(session).get(owner_id, f"user {owner_id}")
        return cases.BulkChange(action, owner_user_id=owner_id), f"Assigned to {owner_name}", owner_name
    if action == "priority":
        if form["set_priority"] not in CasePriority.__members__:
            raise _Refused("set_priority", f"choose one of: {', '.join(CasePriority)}")
        chosen = CasePriority(form["set_priority"])
        return cases.BulkChange(action, set_priority=chosen), f"Set to {chosen} priority", ""
    resolution = form["resolution"].strip()
    if action == "resolve" and not resolution:
        raise _Refused("resolution", "say how the cases were resolved")
    return cases.BulkChange(action, resolution=resolution or None), DONE_WORDS[action], ""


@router.post("/cases/bulk", dependencies=[Depends(require_csrf)], **body_cap("POST /cases/bulk"))
def bulk_change(
    request: Request,
    session: SessionDep,
    user: AgentPage,
    case_id: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=20)] = "",
    owner: Annotated[str, Form(max_length=20)] = "",
    set_priority: Annotated[str, Form(max_length=20)] = "",
    resolution: Annotated[str, Form(max_length=2000)] = "",
    status: Annotated[str, Form(max_length=20)] = "open",
    priority: Annotated[str, Form(max_length=20)] = "",
    every: Annotated[str, Form(max_length=12)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Acknowledge, resolve, close, assign or set the priority of the selected cases, or (`every`) of every case of
    the filter once confirmed; back to the inbox of the same filters with what was changed and what was refused,
    case by case (or, above IN_REQUEST_UP_TO cases, with the worker's run and its progress)."""
    statuses, chosen_priority = _case_filters(status, priority)  # refused before anything changes
    ids = _case_ids(case_id or []) if not every else _every_ids(session, user, statuses, chosen_priority, every)
    if isinstance(ids, str):
        return _form_refused(request, user, "every" if every else "case_id", ids)
    fields = {"action": action, "owner": owner, "set_priority": set_priority, "resolution": resolution}
    try:
        change, done, owner_name = _change(session, user, fields)
    except _Refused as refused:
        return _form_refused(request, user, refused.name, refused.reason)
    if every and (confirmed != "yes" or str(len(ids)) != every):
        return _confirm(request, user, ids, every, fields, status=status, priority=priority, done=done)
    if len(ids) > IN_REQUEST_UP_TO:
        cases.queue_bulk_run(
            session,
            user_id=user.user_id,
            actor_name=user.display_name,
            audit_actor=web_actor(request, user),
            change=change,
            case_ids=ids,
            done_words=done,
            filter_words=_filter_words(status, priority),
        )
        return RedirectResponse(f"/cases?{urlencode({'status': status, 'priority': priority})}", status_code=303)
    actor = Actor(user.display_name, user.user_id)
    apply = cases.change_of(session, change, actor=actor, scope=_scope(session, user))
    outcomes = [
        outcome
        for start in range(0, len(ids), cases.MAX_BULK)
        for outcome in cases.change_each(session, case_ids=ids[start : start + cases.MAX_BULK], change=apply)
    ]
    report = BulkReport(
        done=done,
        changed=[o.case_id for o in outcomes if o.refusal is None],
        refused=[(o.case_id, cases.refusal_words(o.refusal, owner_name)) for o in outcomes if o.refusal is not None],
    )
    first_refusal = next((o.refusal for o in outcomes if o.refusal is not None), None)
    code = refusal_status(first_refusal) if first_refusal is not None and not report.changed else 200
    return inbox_page(request, session, user, status=status, priority=priority, report=report, status_code=code)
