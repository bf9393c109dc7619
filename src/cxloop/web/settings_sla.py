"""Settings · SLA policies (analysts and admins, as PUT /api/v1/sla-policies): one policy per team and priority
(either may be "any"), its targets in the team's working minutes, the escalation of a breach, the verification
re-survey and the follow-up holdout (docs/cases.md, "SLAs").

Each form changes one policy, yet the service stores the whole list, as the API's PUT does: the page sends the
stored list with that one policy added, changed or left out, so the API's `SlaPolicyIn` and `replace_policies` refuse
the same values for the same reasons (a repeated team and priority, an unknown team), and the entry is the API's
`sla_policies.replaced` with the list before and after. Numbers are read here ("'soon' is not a whole number").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.audit.enums import AuditAction
from cxloop.branding.current import load_brand
from cxloop.cases import service as cases
from cxloop.cases.configuration_audit import record_replaced_list
from cxloop.cases.enums import CasePriority
from cxloop.cases.schemas import SlaPolicyIn, SlaPolicyRead
from cxloop.core.body_caps import body_cap
from cxloop.core.errors import CxloopError, NotFound
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.web.auth import AnalystPage, web_actor
from cxloop.web.forms import Errors, FormRefused, Typed, form_refusal, text_form
from cxloop.web.service import SignedIn
from cxloop.web.settings_page import CSRF, back_to, settings_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_brand)])
PAGE = "/settings/sla-policies"
WHOLE = ("acknowledge_minutes", "first_response_minutes", "close_minutes", "warn_minutes", "verify_after_days")
# What a breach does: one choice in the form, the schema's two flags (which may not both be set).
ON_BREACH = {
    "nothing": {"reassign_to_lead": False, "reassign_to_next_agent": False},
    "lead": {"reassign_to_lead": True, "reassign_to_next_agent": False},
    "next_agent": {"reassign_to_lead": False, "reassign_to_next_agent": True},
}
BREACH_OPTIONS = [
    ("nothing", "keeps its owner (the lead is told)"),
    ("lead", "goes to the team lead"),
    ("next_agent", "goes to the team's next agent"),
]
PRIORITY_OPTIONS = [("", "any priority"), *((p.value, p.value) for p in CasePriority)]
_WHOLE = re.compile(r"-?\d{1,9}")


# The posted policy form, as typed: nine short fields.
SLA_FIELDS = ("team_id", "priority", *WHOLE, "on_breach", "holdout_percent")
SlaFormDep = Annotated[Typed, Depends(text_form(**dict.fromkeys(SLA_FIELDS, (20, ""))))]


def shown(policy: SlaPolicyIn) -> Typed:
    """A policy as its form shows it."""
    breach = "lead" if policy.reassign_to_lead else "next_agent" if policy.reassign_to_next_agent else "nothing"
    values = {name: str(getattr(policy, name)) for name in WHOLE}
    return {
        **values,
        "team_id": "" if policy.team_id is None else str(policy.team_id),
        "priority": policy.priority.value if policy.priority else "",
        "on_breach": breach,
        "holdout_percent": f"{policy.holdout_percent:g}",
    }


def _policy(form: Typed) -> SlaPolicyIn:
    """The form as the API's SlaPolicyIn; FormRefused naming each field that is not a number or a choice."""
    errors: Errors = {}
    fields: dict[str, Any] = {"priority": form["priority"] or None}
    team = form["team_id"].strip()
    if team and not team.isdigit():
        errors["team_id"] = "choose a team from the list"
    fields["team_id"] = int(team) if team.isdigit() else None
    for name in WHOLE:
        text = form[name].strip()
        if _WHOLE.fullmatch(text):
            fields[name] = int(text)
        else:
            errors[name] = f"'{text[:20]}' is not a whole number" if text else "enter a whole number"
    try:
        fields["holdout_percent"] = float(form["holdout_percent"].strip().removesuffix("%").replace(",", "."))
    except ValueError:
        errors["holdout_percent"] = "give a share in per cent, e.g. 10 (0: no holdout)"
    if form["on_breach"] not in ON_BREACH:
        errors["on_breach"] = "choose what a breach does from the list"
    if errors:
        raise FormRefused.of(errors)
    return SlaPolicyIn(**fields, **ON_BREACH[form["on_breach"]])


def _without_id(read: SlaPolicyRead) -> SlaPolicyIn:
    return SlaPolicyIn(**read.model_dump(exclude={"id"}))


def _index(stored: list[SlaPolicyRead], policy_id: int) -> int:
    for index, read in enumerate(stored):
        if read.id == policy_id:
            return index
    raise NotFound(f"no SLA policy {policy_id}: it was changed or deleted meanwhile; see the policies below")


def _refusal(exc: Exception) -> tuple[Errors, int]:
    """The fields refused, named as the form names them: the service names an item of the list (`items[2]` for a
    repeated team and priority, `items[2].team_id` for an unknown team)."""
    errors, status = form_refusal(exc, field="form")
    return {re.sub(r"^items\[\d+\]\.?", "", name) or "team_id": message for name, message in errors.items()}, status


def hours(minutes: int) -> str:
    """Working minutes in words: 90 -> '1 h 30 min', 2880 -> '48 h'."""
    whole, rest = divmod(minutes, 60)
    if not whole:
        return f"{rest} min"
    return f"{whole} h {rest} min" if rest else f"{whole} h"


def _page(request: Request, session: Session, user: SignedIn, *, status_code: int = 200, **form: Any) -> Response:
    """The policies and their forms; `form` may name the form that answers (`form_id`: "new" or a policy's id) with
    its `values` and `errors`, and a `page_error` shown above them all (a policy changed meanwhile)."""
    policies = cases.list_policies(session)
    teams = access.list_teams(session)
    team_names = {team.id: team.name for team in teams}
    return settings_page(
        request,
        user,
        "settings_sla.html",
        title="SLA policies",
        status_code=status_code,
        policies=[p for p in policies if p.id is not None],
        default=policies[-1] if policies[-1].id is None else None,  # no catch-all stored: the built-in applies
        shown={str(p.id): shown(p) for p in policies if p.id is not None},
        new_values=shown(cases.DEFAULT_POLICY),
        team_names=team_names,
        team_options=[("", "any team"), *((str(team.id), team.name) for team in teams)],
        priority_options=PRIORITY_OPTIONS,
        breach_options=BREACH_OPTIONS,
        hours=hours,
        **{"form_id": "", "errors": {}, "values": {}, "page_error": None, **form},
    )


@router.get(PAGE)
def sla_tab(request: Request, session: SessionDep, user: AnalystPage) -> Response:
    return _page(request, session, user)


def _replace(
    request: Request,
    session: Session,
    user: SignedIn,
    *,
    form_id: str,
    values: Typed | None,
    change: Callable[[list[SlaPolicyRead]], list[SlaPolicyIn]],
    done: str,
) -> Response:
    """Store the list `change(stored policies)` returns, audited as the API's PUT; the page again on a refusal."""
    before = cases.list_policies(session)
    try:
        items = change([read for read in before if read.id is not None])
        after = cases.replace_policies(session, items=items)
    except (FormRefused, ValidationError, CxloopError) as exc:
        session.rollback()
        errors, status = _refusal(exc)
        gone = f"{exc}. Nothing was changed." if isinstance(exc, NotFound) else None
        return _page(
            request, session, user, status_code=status, form_id=form_id, errors=errors, values=values, page_error=gone
        )
    action = AuditAction.sla_policies_replaced
    record_replaced_list(session, actor=web_actor(request, user), action=action, before=before, after=after)
    return back_to(PAGE, done)


@router.post(PAGE, dependencies=CSRF, **body_cap(f"POST {PAGE}"))
def create_policy(request: Request, session: SessionDep, user: AnalystPage, values: SlaFormDep) -> Response:
    """Add a policy after the stored ones (the most specific one for a case wins, whatever the order)."""

    def change(stored: list[SlaPolicyRead]) -> list[SlaPolicyIn]:
        return [*(_without_id(read) for read in stored), _policy(values)]

    return _replace(request, session, user, form_id="new", values=values, change=change, done="sla-created")


@router.post(f"{PAGE}/{{policy_id:int}}", dependencies=CSRF, **body_cap(f"POST {PAGE}/{{policy_id:int}}"))
def update_policy(
    request: Request, session: SessionDep, user: AnalystPage, policy_id: Id, values: SlaFormDep
) -> Response:
    """Change every field of one policy (its team and priority too); the others stay as they are."""

    def change(stored: list[SlaPolicyRead]) -> list[SlaPolicyIn]:
        index = _index(stored, policy_id)
        items = [_without_id(read) for read in stored]
        items[index] = _policy(values)
        return items

    return _replace(request, session, user, form_id=str(policy_id), values=values, change=change, done="sla-saved")


@router.post(f"{PAGE}/{{policy_id:int}}/delete", dependencies=CSRF, **body_cap(f"POST {PAGE}/{{policy_id:int}}/delete"))
def delete_policy(request: Request, session: SessionDep, user: AnalystPage, policy_id: Id) -> Response:
    """Delete one policy: its cases follow the next policy that matches them (at last the built-in default)."""

    def change(stored: list[SlaPolicyRead]) -> list[SlaPolicyIn]:
        index = _index(stored, policy_id)
        return [_without_id(read) for position, read in enumerate(stored) if position != index]

    return _replace(request, session, user, form_id=str(policy_id), values=None, change=change, done="sla-deleted")
