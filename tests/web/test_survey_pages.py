"""The surveys list and builder over HTTP (TestClient on the real app, SQLite and PostgreSQL): roles, CSRF, drafts
from templates, saving a new version as PATCH /api/v1/surveys does (and its audit entry), errors next to their
field, the life-cycle buttons, trigger rules, and the list's counts. The previews are in test_survey_preview.py."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.governance import scoped_policies
from cxloop.governance.schemas import ScopedPolicyCreate
from cxloop.invitations.answers import record_answers
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey, SurveyVersion
from cxloop.triggers import service as triggers
from tests.factories.invitations import make_invitation
from tests.factories.surveys import make_survey
from tests.web.conftest import csrf_token, signed_in_client

_SELECTED = re.compile(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)


def form_of(html: str, form_id: str = "builder") -> dict[str, str]:
    """The fields a browser would post from the builder's form as drawn (checked boxes only)."""
    body = html.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    fields: dict[str, str] = {}
    for match in re.finditer(r"<(input|textarea)\b([^>]*)>(?:([^<]*)</textarea>)?", body):
        tag, attrs, inner = match.groups()
        name = re.search(r'\bname="([^"]+)"', attrs)
        if not name or 'type="submit"' in attrs:
            continue
        if 'type="checkbox"' in attrs and "checked" not in attrs:
            continue
        value = re.search(r'\bvalue="([^"]*)"', attrs)
        text = inner if tag == "textarea" else (value.group(1) if value else "")
        fields[name.group(1)] = unescape(text or "")
    for name, options in _SELECTED.findall(body):
        chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)', options) or re.search(
            r'<option(?: value="([^"]*)")?>([^<]*)', options
        )
        if chosen:
            fields[name] = unescape(chosen.group(1) if chosen.group(1) is not None else chosen.group(2))
    return fields


def _count(db: Database, what: Any, *where: Any) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(what).where(*where)) or 0)


def _actions(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def analyst(client: TestClient, db: Database) -> TestClient:
    return signed_in_client(client, db, Role.analyst)


def _from_template(client: TestClient, key: str = "relationship-nps") -> int:
    page = client.get("/surveys")
    made = client.post(f"/surveys/templates/{key}", data={"csrf_token": csrf_token(page.text)}, follow_redirects=False)
    assert made.status_code == 303, made.text
    return int(made.headers["location"].rsplit("/", 1)[1])


def test_the_empty_list_offers_the_templates_to_whoever_may_create(client: TestClient, db: Database) -> None:
    viewer = signed_in_client(client, db, Role.viewer)
    page = viewer.get("/surveys")
    assert page.status_code == 200 and "No surveys yet — start from a template" in page.text
    assert "/surveys/templates/" not in page.text and "An analyst or an admin can create one." in page.text
    assert 'href="/surveys"' in page.text, "Surveys is in the navigation, no longer 'coming'"
    assert viewer.get("/surveys/new").status_code == 403


def test_a_template_becomes_a_draft_in_one_click_and_is_audited(analyst: TestClient, db: Database) -> None:
    page = analyst.get("/surveys")
    for key in ("relationship-nps", "post-support-csat", "onboarding-ces", "post-delivery-csat"):
        assert f'action="/surveys/templates/{key}"' in page.text
    first, second = _from_template(analyst), _from_template(analyst)
    with db.unit_of_work() as session:
        made = [surveys.require_survey(session, survey_id=i) for i in (first, second)]
        assert [(s.key, s.status, s.current_version) for s in made] == [
            ("relationship-nps", "draft", 1),
            ("relationship-nps-2", "draft", 1),
        ]
    assert _actions(db) == ["survey.created", "survey.created"]
    listed = analyst.get("/surveys")
    assert listed.text.count("Relationship NPS") >= 2 and "status-draft" in listed.text
    builder = analyst.get(f"/surveys/{first}")
    assert builder.status_code == 200 and "How likely are you to recommend us" in builder.text
    assert "frame-src 'self'" in builder.headers["content-security-policy"]
    unknown = analyst.post("/surveys/templates/nope", data={"csrf_token": csrf_token(page.text)})
    assert unknown.status_code == 404 and "is not one of" in unknown.text


def test_saving_makes_a_new_version_exactly_as_the_api_does(analyst: TestClient, db: Database) -> None:
    survey_id = _from_template(analyst)
    fields = form_of(analyst.get(f"/surveys/{survey_id}").text)
    assert fields["q0-text-de"].startswith("Wie wahrscheinlich") and fields["q1-if-op"] == "<="
    same = analyst.post(f"/surveys/{survey_id}", data=fields, follow_redirects=False)
    assert same.status_code == 303
    with db.unit_of_work() as session:
        assert surveys.require_survey(session, survey_id=survey_id).current_version == 1, "nothing changed"
    fields["q0-text-en"] = "Would you recommend us to a friend?"
    saved = analyst.post(f"/surveys/{survey_id}", data=fields, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/surveys/{survey_id}?saved=1"
    with db.unit_of_work() as session:
        versions = surveys.list_versions(session, survey_id=survey_id)
        assert [v.version for v in versions] == [1, 2]
        assert versions[1].definition["questions"][0]["text"]["en"] == "Would you recommend us to a friend?"
        assert (
            versions[1].definition["questions"][0]["text"]["de"] == versions[0].definition["questions"][0]["text"]["de"]
        )
        assert versions[1].definition["questions"][1:] == versions[0].definition["questions"][1:]
    assert _actions(db)[-1] == "survey.updated"
    shown = analyst.get(saved.headers["location"])
    assert "Saved: version 2" in shown.text and "Would you recommend us to a friend?" in shown.text


def test_a_new_survey_is_built_from_scratch_with_the_edit_buttons(analyst: TestClient, db: Database) -> None:
    page = analyst.get("/surveys/new")
    fields = form_of(page.text) | {"key": "pricing", "name": "Pricing", "q0-text-en": "Recommend us?"}
    added = analyst.post("/surveys/new", data=fields | {"edit": "add", "new_kind": "single_choice"})
    assert added.status_code == 200 and 'name="q1-options-en"' in added.text
    fields = form_of(added.text) | {"q1-text-en": "Which plan?", "q1-options-en": "free: Free\nPro"}
    fields |= {"locales": "en, de", "q1-if-question": "nps", "q1-if-op": ">=", "q1-if-value": "7"}
    moved = analyst.post("/surveys/new", data=fields | {"edit": "up:1"})
    assert moved.text.index('value="single-choice"') < moved.text.index('value="nps"'), "moved up"
    assert _count(db, Survey) == 0, "edit buttons store nothing"
    made = analyst.post("/surveys/new", data=fields, follow_redirects=False)
    assert made.status_code == 303, made.text
    with db.unit_of_work() as session:
        survey = surveys.require_survey(session, key="pricing")
        questions = surveys.require_version(session, survey_id=survey.id).definition["questions"]
    assert survey.status == "draft" and [q["id"] for q in questions] == ["nps", "single-choice"]
    assert questions[1]["options"] == [
        {"key": "free", "text": {"en": "Free"}},
        {"key": "pro", "text": {"en": "Pro"}},
    ]
    assert questions[1]["show_if"] == {"question": "nps", "op": ">=", "value": 7}
    assert _actions(db) == ["survey.created"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"q0-text-en": ""}, "q0-text-en", "needs a wording in the survey's default locale 'en'"),
        ({"q1-if-value": "11"}, "q1-if-value", "must be a whole number from 0 to 10"),
        ({"q1-id": "Not An Id"}, "q1-id", "use lowercase letters"),
        ({"q2-id": "improve"}, "q2-id", "question id 'improve' is used twice"),
        ({"resurvey_days": "-3"}, "resurvey_days", "greater than or equal to 0"),
        ({"closes_at": "2020-01-01T00:00", "opens_at": "2021-01-01T00:00"}, "closes_at", "must be after opens_at"),
    ],
)
def test_errors_come_back_next_to_their_field_and_nothing_is_saved(
    analyst: TestClient, db: Database, change: dict[str, str], field: str, words: str
) -> None:
    survey_id = _from_template(analyst)
    fields = form_of(analyst.get(f"/surveys/{survey_id}").text) | change
    refused = analyst.post(f"/surveys/{survey_id}", data=fields)
    assert refused.status_code == 422 and "The survey was not saved." in refused.text
    shown = re.search(rf'<p class="error" id="{re.escape(field)}-error">([^<]*)</p>', refused.text)
    assert shown and words in unescape(shown.group(1)), refused.text[:3000]
    assert f'aria-describedby="{field}-error"' in refused.text
    assert _count(db, SurveyVersion, SurveyVersion.survey_id == survey_id) == 1
    assert _actions(db) == ["survey.created"]


def test_a_new_survey_with_a_taken_key_is_refused_on_the_key(analyst: TestClient, db: Database) -> None:
    make_survey(db, key="taken")
    fields = form_of(analyst.get("/surveys/new").text) | {"key": "taken", "name": "X", "q0-text-en": "Recommend?"}
    refused = analyst.post("/surveys/new", data=fields)
    assert refused.status_code == 409 and '<p class="error" id="key-error">is already taken</p>' in refused.text
    assert _count(db, Survey) == 1


def test_publish_pause_close_as_the_life_cycle_allows_and_audited(analyst: TestClient, db: Database) -> None:
    survey_id = _from_template(analyst)
    page = analyst.get(f"/surveys/{survey_id}")
    assert ">Publish</button>" in page.text and ">Pause</button>" not in page.text
    token = csrf_token(page.text)
    for status in ("live", "paused", "live", "closed"):
        moved = analyst.post(f"/surveys/{survey_id}/status", data={"csrf_token": token, "status": status})
        assert moved.status_code == 200, moved.text  # followed to the builder
    refused = analyst.post(f"/surveys/{survey_id}/status", data={"csrf_token": token, "status": "paused"})
    assert refused.status_code == 409 and "status: from closed the survey can go to: live" in refused.text
    bad = analyst.post(f"/surveys/{survey_id}/status", data={"csrf_token": token, "status": "gone"})
    assert bad.status_code == 422
    with db.unit_of_work() as session:
        assert surveys.require_survey(session, survey_id=survey_id).status == "closed"
    assert _actions(db) == [
        "survey.created",
        "survey.published",
        "survey.updated",
        "survey.published",
        "survey.closed",
    ]
    assert ">Reopen</button>" in analyst.get(f"/surveys/{survey_id}").text


def test_viewers_read_the_builder_but_change_nothing_and_csrf_is_required(client: TestClient, db: Database) -> None:
    survey = make_survey(db)
    viewer = signed_in_client(client, db, Role.viewer)
    page = viewer.get(f"/surveys/{survey.id}")
    assert page.status_code == 200 and "You can read this survey" in page.text
    assert 'fieldset class="panel" disabled' in page.text and ">Pause</button>" not in page.text
    fields = form_of(page.text)
    assert viewer.post(f"/surveys/{survey.id}", data=fields).status_code == 403
    assert viewer.post(f"/surveys/{survey.id}/status", data={"csrf_token": fields["csrf_token"]}).status_code == 403
    assert viewer.get("/surveys/999999").status_code == 404
    viewer.cookies.clear()
    analyst = signed_in_client(client, db, Role.analyst)
    without = analyst.post(f"/surveys/{survey.id}/status", data={"status": "paused"})
    assert without.status_code == 403 and "security token" in without.text
    builder_without = analyst.post(f"/surveys/{survey.id}", data={k: v for k, v in fields.items() if k != "csrf_token"})
    assert builder_without.status_code == 403
    with db.unit_of_work() as session:
        assert surveys.require_survey(session, survey_id=survey.id).status == "live"
    assert _actions(db) == []


def test_trigger_rules_are_added_and_paused_from_the_builder(analyst: TestClient, db: Database) -> None:
    survey = make_survey(db)
    page = analyst.get(f"/surveys/{survey.id}")
    token = csrf_token(page.text)
    rule = {"csrf_token": token, "kind": "event", "key": "solved", "name": "After a ticket", "channel": "email"}
    missing = analyst.post(f"/surveys/{survey.id}/triggers", data=rule)
    assert missing.status_code == 422
    assert '<p class="error" id="trigger-event_name-error">' in missing.text, missing.text[-3000:]
    made = analyst.post(
        f"/surveys/{survey.id}/triggers", data=rule | {"event_name": "ticket.solved", "delay_minutes": "30"}
    )
    assert made.status_code == 200 and "ticket.solved" in made.text and "30 min later" in made.text
    with db.unit_of_work() as session:
        (found,) = triggers.list_rules(session)
        assert (found.survey_id, found.delay_seconds, found.enabled) == (survey.id, 1800, True)
    taken = analyst.post(f"/surveys/{survey.id}/triggers", data=rule | {"event_name": "x"})
    assert taken.status_code == 422 and 'id="trigger-key-error"' in taken.text
    paused = analyst.post(f"/surveys/{survey.id}/triggers/{found.id}", data={"csrf_token": token})
    assert paused.status_code == 200 and ">Resume" in paused.text
    other = analyst.post(f"/surveys/{survey.id + 1}/triggers/{found.id}", data={"csrf_token": token})
    assert other.status_code == 404
    assert _actions(db) == ["trigger_rule.created", "trigger_rule.updated"]


def test_the_list_counts_responses_and_invitations_answered_with_n(analyst: TestClient, db: Database) -> None:
    survey = make_survey(db)
    with db.unit_of_work() as session:
        invited = [make_invitation(session, survey_id=survey.id, sent=True) for _ in range(3)]
        record_answers(session, invited[0].invitation, {"q1": 9}, channel="email", complete=True)
    page = analyst.get("/surveys")
    row = page.text.split(f'href="/surveys/{survey.id}"', 1)[1].split("</tr>", 1)[0]
    assert "status-live" in row and ">1</td>" in row, row  # version 1, one response
    assert "1 of 3 · 33.3 %" in row and "n = 3, too few to read" in row
    assert "NPS" in row and "just now" in row


def test_the_builder_shows_which_contact_policy_governs_whom(client: TestClient, db: Database) -> None:
    survey = make_survey(db)
    with db.unit_of_work() as session:
        scoped_policies.create_policy(
            session, data=ScopedPolicyCreate(key="enterprise", segment_filter="plan = enterprise", max_invitations=1)
        )
    signed_in_client(client, db, Role.analyst)
    page = client.get(f"/surveys/{survey.id}").text
    tried = re.findall(r'data-policy="([^"]+)"', page)
    assert tried == ["enterprise", "default"]  # in the order they are tried: the scoped one, then the default
    assert "for customers matching plan = enterprise" in page and "for every other customer" in page
    assert "An admin changes the contact policies" in page and 'href="/settings/contact-policy"' not in page
    client.cookies.clear()
    signed_in_client(client, db, Role.admin)
    assert 'href="/settings/contact-policy"' in client.get(f"/surveys/{survey.id}").text
