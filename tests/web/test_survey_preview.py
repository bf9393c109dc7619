"""The builder's previews over HTTP (SQLite and PostgreSQL): the hosted page and the email are drawn from the unsaved
form by the channels' renderers, the widget's page hands widget.js the unsaved questions for its preview mode; all
may be framed by this site only and run sandboxed, need the session's CSRF token, and store and send nothing.
Viewers and agents, whose builder is read-only, preview the stored survey (GET) and still change nothing."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey, SurveyVersion
from tests.factories.surveys import make_survey
from tests.web.conftest import signed_in_client
from tests.web.test_survey_pages import form_of


def _stored(db: Database) -> tuple[int, ...]:
    with db.unit_of_work() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Survey, SurveyVersion, AuditEntry, OutboxEvent)
        )


def _draft(client: TestClient) -> dict[str, str]:
    page = client.get("/surveys/new?template=post-support-csat")
    assert page.status_code == 200
    fields = form_of(page.text) | {"key": "csat-draft"}
    fields["q0-text-en"] = "How did our unsaved wording do?"
    fields["q0-text-de"] = "Wie war die ungespeicherte Frage?"
    return fields


def test_previews_draw_the_unsaved_draft_and_store_nothing(client: TestClient, db: Database) -> None:
    analyst = signed_in_client(client, db, Role.analyst)
    fields = _draft(analyst)
    before = _stored(db)

    hosted = analyst.post("/surveys/preview/hosted", data=fields)
    assert hosted.status_code == 200 and "How did our unsaved wording do?" in hosted.text
    assert 'for="q-csat-5"' in hosted.text, "the hosted page's own five-point scale"
    policy = hosted.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and policy.endswith("; sandbox") and "script-src" not in policy

    german = analyst.post("/surveys/preview/hosted", data=fields | {"preview_locale": "de"})
    assert "Wie war die ungespeicherte Frage?" in german.text and 'lang="de"' in german.text
    follow_up = analyst.post("/surveys/preview/hosted", data=fields | {"preview_question": fields["q1-id"]})
    assert fields["q1-text-en"] in follow_up.text

    widget = analyst.post("/surveys/preview/widget", data=fields)
    assert widget.status_code == 200
    assert '<script src="/widget.js" data-preview="cxloop-preview"></script>' in widget.text, "the real script"
    block = widget.text.split('<script type="application/json" id="cxloop-preview">')[1].split("</script>")[0]
    data = json.loads(block)
    question = data["prompt"]["question"]
    assert (question["text"], question["min"], question["max"]) == ("How did our unsaved wording do?", 1, 5)
    ids = [fields[f"q{i}-id"] for i in range(len(data["questions"]))]
    assert [q["question"]["id"] for q in data["questions"]] == ids and len(ids) > 2
    assert [q["show_if"] is None for q in data["questions"]].count(False) >= 1, "follow-ups with their conditions"
    assert data["config"]["feedback"] is None and data["config"]["delays"] == [0], "it prompts at once"
    policy = widget.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "connect-src 'none'" in policy, "it may connect nowhere"
    assert "script-src 'self';" in policy and policy.endswith("; sandbox allow-scripts")
    german_widget = analyst.post("/surveys/preview/widget", data=fields | {"preview_locale": "de"})
    assert "Wie war die ungespeicherte Frage?" in german_widget.text and 'lang="de"' in german_widget.text

    email = analyst.post("/surveys/preview/email", data=fields)
    assert email.status_code == 200 and "How did our unsaved wording do?" in email.text
    assert 'href="#preview' in email.text and "/u/" not in email.text, "its links lead nowhere"
    assert "style-src 'unsafe-inline'" in email.headers["content-security-policy"]
    assert email.headers["content-security-policy"].endswith("; sandbox")

    assert _stored(db) == before, "previews store nothing and queue nothing to send"


def test_a_draft_that_cannot_be_saved_says_why_instead_of_a_preview(client: TestClient, db: Database) -> None:
    analyst = signed_in_client(client, db, Role.analyst)
    fields = _draft(analyst) | {"q0-text-en": ""}
    refused = analyst.post("/surveys/preview/hosted", data=fields)
    assert refused.status_code == 422 and "No preview yet" in refused.text
    assert (
        "<strong>q0-text-en</strong>: needs a wording in the survey&#39;s default locale &#39;en&#39;" in refused.text
    )
    assert analyst.post("/surveys/preview/sms", data=fields).status_code == 404


def test_previews_need_a_session_and_its_csrf_token(client: TestClient, db: Database) -> None:
    analyst = signed_in_client(client, db, Role.analyst)
    fields = _draft(analyst)
    without = analyst.post("/surveys/preview/hosted", data={k: v for k, v in fields.items() if k != "csrf_token"})
    assert without.status_code == 403
    analyst.cookies.clear()
    assert analyst.post("/surveys/preview/hosted", data=fields, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("role", [Role.viewer, Role.agent])
def test_readers_preview_the_stored_survey_and_still_change_nothing(
    client: TestClient, db: Database, role: Role
) -> None:
    survey = make_survey(db)
    reader = signed_in_client(client, db, role)
    page = reader.get(f"/surveys/{survey.id}")
    assert page.status_code == 200 and 'fieldset class="panel" disabled' in page.text, "the builder stays read-only"
    assert f'formaction="/surveys/{survey.id}/preview/hosted"' in page.text and "Save as a new version" not in page.text
    assert 'formaction="/surveys/preview/' not in page.text
    before = _stored(db)

    hosted = reader.get(f"/surveys/{survey.id}/preview/hosted")
    assert hosted.status_code == 200 and "How likely are you to recommend us?" in hosted.text
    assert hosted.headers["content-security-policy"].endswith("; sandbox")
    german = reader.get(f"/surveys/{survey.id}/preview/hosted?preview_locale=de&preview_question=why-low")
    assert "Was sollen wir verbessern?" in german.text and 'lang="de"' in german.text
    widget = reader.get(f"/surveys/{survey.id}/preview/widget")
    assert widget.status_code == 200 and "How likely are you to recommend us?" in widget.text
    assert widget.headers["content-security-policy"].endswith("; sandbox allow-scripts")
    email = reader.get(f"/surveys/{survey.id}/preview/email")
    assert email.status_code == 200 and "How likely are you to recommend us?" in email.text
    assert reader.get(f"/surveys/{survey.id}/preview/sms").status_code == 404
    assert reader.get("/surveys/999999/preview/hosted").status_code == 404
    assert reader.get(f"/surveys/{survey.id}/preview/hosted?preview_locale={'x' * 17}").status_code == 422

    fields = form_of(page.text)
    assert reader.post(f"/surveys/{survey.id}", data=fields).status_code == 403, "editing stays analyst and admin"
    assert _stored(db) == before
    reader.cookies.clear()
    assert reader.get(f"/surveys/{survey.id}/preview/hosted", follow_redirects=False).status_code == 303
