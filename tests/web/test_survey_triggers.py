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
from tests.factories.customers import make_segment
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


_EDITED = ("name", "enabled", "channel", "fallbacks", "segment_id", "event_name", "conditions", "delay_seconds")


def test_a_rules_edit_form_changes_every_field_patch_takes_as_patch_does(client: TestClient, db: Database) -> None:
    survey = make_survey(db)
    with db.unit_of_work() as session:
        segment_id = make_segment(session, 'plan = "pro"', name="Pro plan").id
    analyst = signed_in_client(client, db, Role.analyst)
    token = csrf_token(analyst.get(f"/surveys/{survey.id}").text)
    for key in ("web", "api"):
        analyst.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, key, delay_minutes="5"))
    rule_id, twin_id = _rules(db)["web"]["id"], _rules(db)["api"]["id"]
    page = analyst.get(f"/surveys/{survey.id}").text
    drawn = form_of(page, f"edit-rule-{rule_id}")
    assert {name: drawn[name] for name in ("name", "channel", "enabled", "segment_id", "event_name")} == {
        "name": "After a long wait",
        "channel": "sms",
        "enabled": "true",
        "segment_id": "",
        "event_name": "ticket.solved",
    }
    assert drawn["delay_minutes"] == "5" and "anchor" not in drawn, "an event rule's fields only"
    assert f'<option value="{segment_id}">Pro plan</option>' in page.split(f'id="edit-rule-{rule_id}"')[1]
    edit = drawn | {"name": "After a very long wait", "channel": "email", "enabled": "false", "fallback0": "sms"}
    edit |= {"segment_id": str(segment_id), "event_name": "ticket.closed", "delay_minutes": "1.5"}
    edit |= {"cond0-property": "wait_minutes", "cond0-op": ">", "cond0-value": "30"}
    done = analyst.post(f"/surveys/{survey.id}/triggers/{rule_id}/edit", data=edit)
    assert done.status_code == 200 and done.url.path == f"/surveys/{survey.id}", done.text[-2000:]
    body = {"name": "After a very long wait", "channel": "email", "enabled": False, "fallbacks": ["sms"]}
    body |= {"segment_id": segment_id, "event_name": "ticket.closed", "delay_seconds": 90}
    body |= {"conditions": [{"property": "wait_minutes", "op": ">", "value": 30}]}
    patched = client.patch(f"/api/v1/trigger-rules/{twin_id}", json=body, headers=make_key(db, Role.analyst))
    assert patched.status_code == 200, patched.text
    stored = _rules(db)
    assert {name: stored["web"][name] for name in _EDITED} == {name: stored["api"][name] for name in _EDITED} == body
    (web_action, web_changes), (api_action, api_changes) = _audit(db)[-2:]
    assert web_action == api_action == "trigger_rule.updated"
    assert web_changes.keys() == api_changes.keys() and web_changes["delay_seconds"] == [300, 90]
    assert "after a very long wait" in done.text.lower() and "paused" in done.text
    redrawn = form_of(done.text, f"edit-rule-{rule_id}")
    assert (redrawn["delay_minutes"], redrawn["enabled"], redrawn["segment_id"]) == ("1.5", "false", str(segment_id))
    cleared = analyst.post(
        f"/surveys/{survey.id}/triggers/{rule_id}/edit", data=redrawn | {"segment_id": "", "delay_minutes": ""}
    )
    assert cleared.status_code == 200
    assert (_rules(db)["web"]["segment_id"], _rules(db)["web"]["delay_seconds"]) == (None, 0)
    assert _rules(db)["web"]["name"] == "After a very long wait", "the rest as it was"


def test_a_time_rules_dates_are_changed_and_each_refusal_is_named_beside_its_field(
    analyst: TestClient, db: Database
) -> None:
    survey = make_survey(db)
    token = csrf_token(analyst.get(f"/surveys/{survey.id}").text)
    timed = {"kind": "time", "anchor": "signup_date", "offset_days": "30", "event_name": "", "channel": "email"}
    page = analyst.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "later", **timed)).text
    rule = _rules(db)["later"]
    url = f"/surveys/{survey.id}/triggers/{rule['id']}/edit"
    drawn = form_of(page, f"edit-rule-{rule['id']}")
    assert (drawn["anchor"], drawn["offset_days"], drawn["repeat_days"]) == ("signup_date", "30", "")
    assert "event_name" not in drawn and "delay_minutes" not in drawn and "cond0-property" not in drawn
    moved = drawn | {"anchor": "first_event:order.placed", "offset_days": "-7", "repeat_days": "90"}
    assert analyst.post(url, data=moved).status_code == 200
    assert (_rules(db)["later"]["anchor"], _rules(db)["later"]["offset_days"]) == ("first_event:order.placed", -7)
    assert _rules(db)["later"]["repeat_days"] == 90
    stored, entries = _rules(db), len(_audit(db))
    prefix = f"rule{rule['id']}"
    refusals = {
        "name": ({"name": " "}, "cannot be empty"),
        "anchor": ({"anchor": "birthday"}, "must be &#39;signup_date&#39;"),
        "offset_days": ({"offset_days": ""}, "integer"),
        "repeat_days": ({"repeat_days": "0"}, "greater than or equal to 1"),
        "channel": ({"channel": "widget"}, "email"),
        "enabled": ({"enabled": "maybe"}, "boolean"),
        "segment_id": ({"segment_id": "999999"}, "no segment with id 999999"),
    }
    for field, (change, words) in refusals.items():
        refused = analyst.post(url, data=moved | change)
        assert refused.status_code == 422, (field, refused.status_code)
        assert f'<details id="rule-{rule["id"]}" open>' in refused.text
        said = refused.text.split(f'id="{prefix}-{field}-error"')[1].split("</p>")[0]
        assert words in said, (field, said)
        assert f'aria-describedby="{prefix}-{field}-error"' in refused.text
        assert form_of(refused.text, f"edit-rule-{rule['id']}")["anchor"] == (moved | change)["anchor"]
    assert _rules(db) == stored and len(_audit(db)) == entries, "nothing saved, nothing audited"


def test_an_event_rules_refused_delay_and_event_are_named_in_the_forms_words(analyst: TestClient, db: Database) -> None:
    survey = make_survey(db)
    token = csrf_token(analyst.get(f"/surveys/{survey.id}").text)
    page = analyst.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "long")).text
    rule_id = _rules(db)["long"]["id"]
    url = f"/surveys/{survey.id}/triggers/{rule_id}/edit"
    drawn = form_of(page, f"edit-rule-{rule_id}")
    for change, field, words in (
        ({"delay_minutes": "-5"}, "delay_minutes", "must be from 0 to 129600 minutes (90 days)"),
        ({"delay_minutes": "200000"}, "delay_minutes", "must be from 0 to 129600 minutes (90 days)"),
        ({"delay_minutes": "soon"}, "delay_minutes", "integer"),
        ({"event_name": ""}, "event_name", "cannot be empty"),
    ):
        refused = analyst.post(url, data=drawn | change)
        assert refused.status_code == 422
        assert words in refused.text.split(f'id="rule{rule_id}-{field}-error"')[1].split("</p>")[0], change
    assert _rules(db)["long"]["delay_seconds"] == 0 and _rules(db)["long"]["event_name"] == "ticket.solved"


def test_deleting_a_rule_asks_first_and_is_audited_as_the_apis_delete(client: TestClient, db: Database) -> None:
    survey = make_survey(db)
    analyst = signed_in_client(client, db, Role.analyst)
    token = csrf_token(analyst.get(f"/surveys/{survey.id}").text)
    for key in ("web", "api"):
        analyst.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, key, fallback0="email"))
    rule_id, twin_id = _rules(db)["web"]["id"], _rules(db)["api"]["id"]
    url = f"/surveys/{survey.id}/triggers/{rule_id}/delete"
    linked = analyst.get(f"/surveys/{survey.id}").text.split(f'id="rule-{rule_id}"')[1].split("</details>")[0]
    assert f'href="{url}"' in linked
    asked = analyst.get(url)
    assert asked.status_code == 200 and "Delete After a long wait?" in asked.text
    assert analyst.post(url, data={"csrf_token": token}).text == asked.text, "a post without the confirmation asks"
    assert '<input type="hidden" name="confirmed" value="yes">' in asked.text and "Keep it" in asked.text
    assert "web" in _rules(db), "nothing is deleted before the confirmation"
    done = analyst.post(url, data={"csrf_token": token, "confirmed": "yes"})
    assert done.status_code == 200 and "The trigger rule was deleted" in done.text
    assert "web" not in _rules(db) and f'id="rule-{rule_id}"' not in done.text
    assert client.delete(f"/api/v1/trigger-rules/{twin_id}", headers=make_key(db, Role.analyst)).status_code == 204
    (web_action, web_changes), (api_action, api_changes) = _audit(db)[-2:]
    assert web_action == api_action == "trigger_rule.deleted"
    assert web_changes.keys() == api_changes.keys() and all(after is None for _, after in web_changes.values())
    assert web_changes["fallbacks"] == [["email"], None]
    again = analyst.post(url, data={"csrf_token": token, "confirmed": "yes"})
    assert again.status_code == 404 and len(_audit(db)) == 4


def test_deleting_needs_the_analyst_role_the_token_and_the_rules_own_survey(client: TestClient, db: Database) -> None:
    survey, other = make_survey(db), make_survey(db, key="other")
    signed_in_client(client, db, Role.analyst)
    token = csrf_token(client.get(f"/surveys/{survey.id}").text)
    client.post(f"/surveys/{survey.id}/triggers", data=_rule_form(token, "long"))
    rule_id = _rules(db)["long"]["id"]
    assert client.post(f"/surveys/{survey.id}/triggers/{rule_id}/delete", data={"confirmed": "yes"}).status_code == 403
    confirmed = {"csrf_token": token, "confirmed": "yes"}
    assert client.post(f"/surveys/{other.id}/triggers/{rule_id}/delete", data=confirmed).status_code == 404
    client.cookies.clear()
    signed_in_client(client, db, Role.agent)
    page = client.get(f"/surveys/{survey.id}").text
    assert "/delete" not in page
    refused = client.post(
        f"/surveys/{survey.id}/triggers/{rule_id}/delete", data={"csrf_token": csrf_token(page), "confirmed": "yes"}
    )
    assert refused.status_code == 403 and "long" in _rules(db)
    assert client.get(f"/surveys/{survey.id}/triggers/{rule_id}/delete").status_code == 403
    assert [action for action, _ in _audit(db)] == ["trigger_rule.created"]
