"""Routing: which team, and which member of it, a new case goes to (docs/cases.md "Routing").

Rules are data (`case_routing_rules`), evaluated in order; the first whose conditions all hold wins, and a rule
without conditions is the fallback. Inside the team the owner is picked round robin or by fewest open cases. The
decision and its reason are stored on the case and in its activity log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Assignment
from cxloop.cases.models import Case, RoutingCursor, RoutingRule
from cxloop.cases.rules import OPEN
from cxloop.cases.schemas import RoutingConditions, RoutingContext, RoutingRuleIn, RoutingRuleRead
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers import service as customers


@dataclass(frozen=True)
class Decision:
    """Where routing sent a case and why (stored as the case's `routing`)."""

    team_id: int | None
    owner_user_id: int | None
    rule_id: int | None
    rule: str | None
    reason: str


def list_rules(session: Session) -> list[RoutingRuleRead]:
    rows = session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
    return [
        RoutingRuleRead(id=r.id, position=r.position, name=r.name, conditions=r.conditions, team_id=r.team_id)
        for r in rows
    ]


def replace_rules(session: Session, *, items: Sequence[RoutingRuleIn]) -> list[RoutingRuleRead]:
    """Store exactly these rules, in this order; 422 naming an unknown team or segment."""
    for index, item in enumerate(items):
        if item.team_id is not None and access.get_team(session, team_id=item.team_id) is None:
            raise InvalidInput("unknown team", errors=[FieldError(f"items[{index}].team_id", "no such team")])
        key = item.conditions.segment
        if key is not None and customers.get_segment(session, key=key) is None:
            field = f"items[{index}].conditions.segment"
            raise InvalidInput("unknown segment", errors=[FieldError(field, f"no segment '{key}'")])
    session.execute(delete(RoutingRule))
    for position, item in enumerate(items):
        session.add(
            RoutingRule(position=position, name=item.name, conditions=item.conditions.given(), team_id=item.team_id)
        )
    session.flush()
    return list_rules(session)


def route(session: Session, *, customer_id: int, context: RoutingContext) -> Decision:
    """The first matching rule's team and an owner in it; no team when nothing matches and there is no fallback."""

    @cache
    def segments() -> frozenset[str]:
        return frozenset(customers.customer_segment_keys(session, customer_id=customer_id))

    @cache
    def account_owner() -> tuple[int, str] | None:
        customer = customers.get_customer(session, customer_id=customer_id)
        account = (
            customers.get_account(session, account_id=customer.account_id) if customer and customer.account_id else None
        )
        if account is None or not account.owner:
            return None
        user_id = access.user_id_by_email(session, email=account.owner)
        return (user_id, account.owner) if user_id is not None else None

    themes = {t.strip().lower() for t in context.themes}
    checks: dict[str, Callable[[RoutingConditions], bool]] = {
        "segment": lambda c: c.segment in segments(),
        "touchpoint_id": lambda c: c.touchpoint_id == context.touchpoint_id,
        "survey_id": lambda c: c.survey_id == context.survey_id,
        "theme": lambda c: (c.theme or "").strip().lower() in themes,
    }
    for rule in session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all():
        conditions = RoutingConditions.model_validate(rule.conditions)
        given = conditions.given()
        if not all(checks[name](conditions) for name in given if name in checks):
            continue
        matched = ", ".join(f"{name}={value}" for name, value in given.items() if name in checks)
        if conditions.account_owner:
            owner = account_owner()
            teams = access.user_team_ids(session, user_id=owner[0]) if owner else []
            team_id = rule.team_id if rule.team_id in teams else (teams[0] if rule.team_id is None and teams else None)
            if owner is None or team_id is None:
                continue
            reason = f"the account's owner {owner[1]} is in the team" + (f" ({matched})" if matched else "")
            return Decision(team_id, owner[0], rule.id, rule.name, reason)
        assert rule.team_id is not None  # checked when stored
        owner_id, how = pick_owner(session, team_id=rule.team_id)
        reason = (f"matched {matched}" if matched else "fallback: the rule has no conditions") + f"; {how}"
        return Decision(rule.team_id, owner_id, rule.id, rule.name, reason)
    return Decision(None, None, None, None, "no rule matched and there is no fallback rule")


def pick_owner(session: Session, *, team_id: int, exclude: int | None = None) -> tuple[int | None, str]:
    """A member of the team to own a new case (round robin or fewest open cases), and how they were picked;
    `exclude` is passed over (e.g. the owner who missed an SLA)."""
    team = access.require_team(session, team_id=team_id)
    members = [m for m in access.team_member_ids(session, team_id=team_id) if m != exclude]
    if not members:
        return None, "the team has no active members: left unassigned"
    if team.assignment == Assignment.fewest_open:
        counts = dict(
            session.execute(
                select(Case.owner_user_id, func.count())
                .where(Case.owner_user_id.in_(members), Case.status.in_([s.value for s in OPEN]))
                .group_by(Case.owner_user_id)
            ).all()
        )
        chosen = min(members, key=lambda m: (counts.get(m, 0), m))
        return chosen, f"fewest open cases ({counts.get(chosen, 0)})"
    cursor = session.scalar(select(RoutingCursor).where(RoutingCursor.team_id == team_id).with_for_update())
    if cursor is None:
        cursor = RoutingCursor(team_id=team_id, last_user_id=None)
        session.add(cursor)
    last = cursor.last_user_id
    chosen = next((m for m in members if last is None or m > last), members[0])
    cursor.last_user_id = chosen
    session.flush()
    return chosen, "round robin"


def decision_detail(decision: Decision) -> dict[str, object]:
    return asdict(decision)
