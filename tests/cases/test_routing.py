"""Routing rules as data: evaluated in order, by segment, touchpoint, survey, theme and account owner, with a
fallback; round robin or fewest open cases inside the team; the decision logged on the case."""

from __future__ import annotations

import pytest

from cxloop.access.enums import Assignment
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.schemas import SYSTEM, RoutingConditions, RoutingContext, RoutingRuleIn
from cxloop.core.errors import InvalidInput
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import customer_data, make_account, make_customer, make_segment


def rule(name: str, team_id: int | None, **conditions: object) -> RoutingRuleIn:
    return RoutingRuleIn(name=name, team_id=team_id, conditions=RoutingConditions.model_validate(conditions))


def test_rules_are_evaluated_in_order_with_a_fallback(db: Database) -> None:
    with db.unit_of_work() as session:
        success, product, support = (make_team(session, members=[make_user(session)]) for _ in range(3))
        make_segment(session, "plan = enterprise", key="enterprise")
        (big,) = customers.upsert_customers(session, items=[customer_data(attributes={"plan": "enterprise"})])
        small = make_customer(session).id
        kim = make_user(session, email="kim@example.com")
        make_team(session, key="accounts", members=[kim])
        account = make_account(session, name="Acme", owner="KIM@example.com")
        owned = customers.require_customer(
            session,
            customer_id=customers.upsert_customers(
                session,
                items=[
                    customer_data(account_external_id=customers.get_account(session, account_id=account).external_id)
                ],
            )[0],
        ).id
        cases.replace_rules(
            session,
            items=[
                rule("account owner first", None, account_owner=True),
                rule("big customers", success.id, segment="enterprise"),
                rule("bugs", product.id, theme="Bug"),
                rule("checkout survey", product.id, survey_id=7, touchpoint_id=3),
                rule("fallback", support.id),
            ],
        )

        def routed(customer_id: int, **context: object) -> cases.Decision:
            return cases.route(session, customer_id=customer_id, context=RoutingContext.model_validate(context))

        by_owner = routed(owned)
        assert by_owner.owner_user_id == kim.id and by_owner.rule == "account owner first"
        assert "KIM@example.com" in by_owner.reason
        assert routed(big).team_id == success.id and routed(big).reason.startswith("matched segment=enterprise")
        assert routed(small, themes=["bug", "pricing"]).team_id == product.id
        assert routed(small, survey_id=7).rule == "fallback"  # every condition must hold
        assert routed(small, survey_id=7, touchpoint_id=3).rule == "checkout survey"
        fallback = routed(small)
        assert fallback.team_id == support.id and fallback.reason.startswith("fallback")
        assert [r.name for r in cases.list_rules(session)][0] == "account owner first"


def test_an_account_owner_who_is_no_user_falls_through(db: Database) -> None:
    with db.unit_of_work() as session:
        support = make_team(session, members=[make_user(session)])
        account = make_account(session, name="Acme", owner="Somebody Else")
        external = customers.get_account(session, account_id=account).external_id
        (customer_id,) = customers.upsert_customers(session, items=[customer_data(account_external_id=external)])
        cases.replace_rules(session, items=[rule("owner", None, account_owner=True), rule("rest", support.id)])
        case, _ = open_case(session, customer_id, 1)
        assert case.team_id == support.id and case.routing["rule"] == "rest"
        routed = cases.case_detail(session, case).activity[1]
        assert routed.kind == "routed" and routed.actor == "routing" and routed.detail["rule"] == "rest"


def test_round_robin_and_fewest_open(db: Database) -> None:
    with db.unit_of_work() as session:
        a, b, c = (make_user(session) for _ in range(3))
        team = make_team(session, members=[a, b, c], assignment=Assignment.round_robin)
        cases.replace_rules(session, items=[rule("all", team.id)])
        owners = [open_case(session, make_customer(session).id, i)[0].owner_user_id for i in range(1, 5)]
        assert owners == [a.id, b.id, c.id, a.id]
        busy = make_team(session, members=[a, b, c], assignment=Assignment.fewest_open)
        cases.replace_rules(session, items=[rule("all", busy.id)])
        # a has 2 open cases, b and c one each: the next goes to b (fewest, then lowest id), then c.
        owners = [open_case(session, make_customer(session).id, i)[0].owner_user_id for i in range(5, 7)]
        assert owners == [b.id, c.id]
        for case in cases.list_cases(session, owner_user_id=a.id)[0]:
            cases.transition(session, case_id=case.id, action=CaseAction.close, actor=SYSTEM)
        nxt, _ = open_case(session, make_customer(session).id, 9)
        assert nxt.owner_user_id == a.id and "fewest open cases (0)" in nxt.routing["reason"]


def test_a_team_without_active_members_leaves_the_case_unassigned(db: Database) -> None:
    with db.unit_of_work() as session:
        team = make_team(session)
        cases.replace_rules(session, items=[rule("all", team.id)])
        case, _ = open_case(session, make_customer(session).id, 1)
        assert case.team_id == team.id and case.owner_user_id is None
        assert "no active members" in case.routing["reason"]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([rule("x", 999)], "items[0].team_id"),
        (
            [rule("x", None, account_owner=True), rule("y", None, account_owner=True, segment="nope")],
            "items[1].conditions.segment",
        ),
    ],
)
def test_bad_rules_are_refused_by_field(db: Database, items: list[RoutingRuleIn], field: str) -> None:
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        cases.replace_rules(session, items=items)
    assert refused.value.errors[0].field == field


def test_a_rule_needs_a_team_unless_it_routes_to_the_account_owner() -> None:
    with pytest.raises(ValueError, match="team_id is required"):
        RoutingRuleIn(name="x")
