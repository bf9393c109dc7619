"""The builder's trigger-rule forms over HTTP (TestClient on the real app, SQLite and PostgreSQL): a rule's
event-property conditions and fallback channels, stored as POST /api/v1/trigger-rules stores them, refused next to
their field with nothing saved, changed on an existing rule (audited as PATCH is), read-only for viewers, CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.storage.database import Database
from cxloop.triggers import service as triggers
from tests.conftest import make_key
from tests.factories.surveys import make_survey
from tests.web.conftest import csrf_token, signed_in_client
from tests.web.test_survey_pages import form_of


@pytest.fixture
def analyst(client: TestClient, db: Database) -> TestClient:
    return signed_in_client(client, db, Role.analyst)


_SAME = ("kind", "enabled", "survey_id", "channel", "fallbacks", "event_name", "conditions", "delay_seconds")


def _rules(db: Database) -> dict[str, dict[str, Any]]:
    with db.unit_of_work() as session:
        return {rule.key: triggers.rule_read(rule).model_dump(mode="json") for rule in triggers.list_rules(session)}


def _audit(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """(action, {field: [before, after]}) of each audit entry."""
    with db.unit_of_work() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(entry.action, entry.changes) for entry in entries]


def _rule_form(token: str, key: str, **fields: str) -> dict[str, str]:
    form = {"csrf_token": token, "kind": "event", "key": key, "name": "After a long wait", "channel": "sms"}
    return form | {"event_name": "ticket.solved"} | fields


def test_a_rule_with_conditions_and_fallbacks_is_stored_as_the_api_stores_it(client: TestClient, db: Database) -> None:
    survey = make_survey(db)
    conditions = [
        {"property": "wait_minutes", "op": ">", "value": 30},
        {"property": "topic", "op": "in", "value": ["billing", "refund"]},
        {"property": "customer.vip", "op": "exists", "value": True},
        {"property": "plan", "op": "=", "value": "30"},
    ]
    body = {"key": "api", "name": "After a long wait", "kind": "event", "survey_id": survey.id, "channel": "sms"}
    body |= {"event_name": "ticket.solved", "fallbacks": ["email"], "conditions": conditions}
    assert client.post("/api/v1/trigger-rules", json=body, headers=make_key(db, Role.analyst)).status_code == 201
    signed_in_client(client, db, Role.analyst)
    token = csrf_token(client.get(f"/surveys/{survey.id}").text)
    rows = {"cond0-property": "wait_minutes", "cond0-op": ">", "cond0-value": "30"}
    rows |= {"cond2-property": "topic", "cond2-op": "in", "cond2-value": "billing, refund"}  # row 1 left blank
    rows |= {"cond3-property": "customer.vip", "cond3-op": "exists", "cond3-value": ""}
    rows |= {"cond4-property": "plan", "cond4-op": "=", "cond4-value": '"30"'}
    made = client.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "web", fallback1="email", **rows))
    assert made.status_code == 200, made.text[-2000:]
    stored = _rules(db)
    assert {name: stored["web"][name] for name in _SAME} == {name: stored["api"][name] for name in _SAME}
    assert stored["web"]["conditions"] == conditions and stored["web"]["fallbacks"] == ["email"]
    assert "<code>wait_minutes &gt; 30</code>" in made.text and "sms (then email)" in made.text
    assert _audit(db)[-1] == ("trigger_rule.created", _audit(db)[-1][1])
    assert _audit(db)[-1][1]["conditions"] == [None, conditions]
    # The edit form draws the rule as stored, and posting it unchanged changes nothing
    rule_id = stored["web"]["id"]
    drawn = form_of(made.text, f"edit-rule-{rule_id}")
    assert drawn["cond1-value"] == "billing, refund" and drawn["cond3-value"] == '"30"', drawn
    assert drawn["fallback0"] == "email" and drawn["cond4-property"] == ""
    again = client.post(f"/surveys/{survey.id}/triggers/{rule_id}/edit", data=drawn)
    assert again.status_code == 200 and _rules(db)["web"]["conditions"] == conditions


def test_a_bad_operator_value_or_fallback_comes_back_next_to_its_field(analyst: TestClient, db: Database) -> None:
    survey = make_survey(db)
    token = csrf_token(analyst.get(f"/surveys/{survey.id}").text)
    url = f"/surveys/{survey.id}/triggers"
    rows = {"cond0-property": "wait_minutes", "cond0-op": ">", "cond0-value": "true"}
    rows |= {"cond1-property": "topic", "cond1-op": "~", "cond1-value": "billing"}
    refused = analyst.post(url, data=_rule_form(token, "bad", **rows))
    assert refused.status_code == 422
    assert (
        "&#39;&gt;&#39; compares with a number or a string" in refused.text.split('id="trigger-cond0-value-error"')[1]
    )
    assert 'id="trigger-cond1-op-error"' in refused.text and 'aria-describedby="trigger-cond1-op-error"' in refused.text
    assert form_of(refused.text, "new-trigger")["cond1-property"] == "topic"  # the rows come back as posted
    same = analyst.post(url, data=_rule_form(token, "bad", fallback0="sms"))
    assert same.status_code == 422
    assert "another sendable channel" in same.text.split('id="trigger-fallback0-error"')[1].split("</p>")[0]
    widget = analyst.post(url, data=_rule_form(token, "bad", fallback0="email", fallback1="widget"))
    assert widget.status_code == 422 and 'id="trigger-fallback1-error"' in widget.text
    timed = {"kind": "time", "anchor": "signup_date", "offset_days": "30", "event_name": ""}
    on_time = analyst.post(
        url, data=_rule_form(token, "bad", **timed, **{"cond0-property": "x", "cond0-op": "=", "cond0-value": "1"})
    )
    assert on_time.status_code == 422
    assert "only event rules have this field" in on_time.text.split('id="trigger-conditions-error"')[1].split("</p>")[0]
    empty = analyst.post(url, data=_rule_form(token, "bad", **{"cond0-value": "30"}))
    assert empty.status_code == 422 and "cannot be empty" in empty.text.split('id="trigger-cond0-property-error"')[1]
    assert _rules(db) == {} and _audit(db) == []


def test_editing_a_rule_changes_its_conditions_and_fallbacks(analyst: TestClient, db: Database) -> None:
    survey = make_survey(db)
    token = csrf_token(analyst.get(f"/surveys/{survey.id}").text)
    rows = {"cond0-property": "wait_minutes", "cond0-op": ">=", "cond0-value": "30"}
    rows |= {"cond1-property": "plan", "cond1-op": "!=", "cond1-value": "free"}
    analyst.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "long", fallback0="email", **rows))
    timed = {"kind": "time", "anchor": "signup_date", "offset_days": "30", "event_name": ""}
    page = analyst.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "later", **timed))
    rule_id, time_id = _rules(db)["long"]["id"], _rules(db)["later"]["id"]
    assert 'id="rule' + str(time_id) + '-fallback0"' in page.text
    assert f'id="rule{time_id}-cond0-property"' not in page.text  # a time rule has no conditions to edit
    url = f"/surveys/{survey.id}/triggers/{rule_id}/edit"
    form = form_of(page.text, f"edit-rule-{rule_id}")
    bad = analyst.post(url, data=form | {"cond1-op": "<", "cond1-value": "[1, 2]"})
    assert bad.status_code == 422 and '<details id="rule-' + str(rule_id) + '" open>' in bad.text
    assert "compares with a number or a string" in bad.text.split(f'id="rule{rule_id}-cond1-value-error"')[1]
    assert form_of(bad.text, f"edit-rule-{rule_id}")["cond1-value"] == "[1, 2]"
    before = _rules(db)["long"]
    assert before["conditions"][1] == {"property": "plan", "op": "!=", "value": "free"}
    changed = form | {"cond0-property": "", "cond0-value": "", "cond2-property": "topic", "cond2-op": "not in"}
    changed |= {"cond2-value": "spam", "fallback0": "", "fallback1": ""}
    done = analyst.post(url, data=changed)
    assert done.status_code == 200, done.text[-2000:]
    after = _rules(db)["long"]
    assert after["conditions"] == [
        {"property": "plan", "op": "!=", "value": "free"},
        {"property": "topic", "op": "not in", "value": ["spam"]},
    ]
    assert after["fallbacks"] == [] and after["channel"] == "sms"
    action, changes = _audit(db)[-1]
    assert action == "trigger_rule.updated" and changes["conditions"] == [before["conditions"], after["conditions"]]
    assert changes["fallbacks"] == [["email"], []]
    timed_edit = analyst.post(
        f"/surveys/{survey.id}/triggers/{time_id}/edit", data={"csrf_token": token, "fallback0": "email"}
    )
    assert timed_edit.status_code == 200 and _rules(db)["later"]["fallbacks"] == ["email"]
    other = analyst.post(f"/surveys/{survey.id + 1}/triggers/{rule_id}/edit", data=changed)
    assert other.status_code == 404


def test_viewers_read_the_conditions_and_posts_need_the_role_and_the_token(client: TestClient, db: Database) -> None:
    survey = make_survey(db)
    signed_in_client(client, db, Role.analyst)
    token = csrf_token(client.get(f"/surveys/{survey.id}").text)
    rows = {"cond0-property": "wait_minutes", "cond0-op": ">", "cond0-value": "30"}
    client.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "long", fallback0="email", **rows))
    rule_id = _rules(db)["long"]["id"]
    url = f"/surveys/{survey.id}/triggers/{rule_id}/edit"
    without = client.post(url, data={"fallback0": ""})
    assert without.status_code == 403 and "security token" in without.text
    client.cookies.clear()
    signed_in_client(client, db, Role.viewer)
    page = client.get(f"/surveys/{survey.id}").text
    assert "<code>wait_minutes &gt; 30</code>" in page and "sms (then email)" in page
    assert "edit-rule-" not in page and 'id="new-trigger"' not in page
    refused = client.post(url, data={"csrf_token": csrf_token(page), "fallback0": ""})
    assert refused.status_code == 403
    assert _rules(db)["long"]["fallbacks"] == ["email"]
    assert [action for action, _ in _audit(db)] == ["trigger_rule.created"]
