"""The case page over HTTP (TestClient on the real app, SQLite and PostgreSQL): what it shows to whom (masked
comments for agents, 404 outside the agent's teams), and its forms: note, assign, resolve with a root cause, reopen,
follow-up preview and send (queued for the worker), each CSRF-checked and refused in words."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.models import User
from cxloop.cases import service as cases
from cxloop.cases.enums import TriggerSource
from cxloop.cases.follow_up_schemas import TemplateCreate
from cxloop.cases.schemas import SYSTEM, CaseOpen, RootCauseCreate, TriggerRef
from cxloop.cases.service import follow_up_templates, follow_ups
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.storage.database import Database
from tests.factories.cases import make_team
from tests.factories.customers import make_customer
from tests.factories.surveys import make_survey
from tests.web.conftest import csrf_token, make_user, sign_in

COMMENT = "Charged twice! Write to me at dana.detractor@example.org"


def _user(session: Session, email: str) -> User:
    user_id = access.user_id_by_email(session, email=email)
    assert user_id is not None
    return access.require_user(session, user_id=user_id)


def detractor_case(db: Database, *members: str) -> int:
    """A detractor's response with an email address in the comment, its case in a team of `members`, a follow-up
    template and a root cause; the case's id."""
    make_survey(db, key="nps-web")
    with db.unit_of_work() as session:
        customer = make_customer(session, external_id="c-dana", name="Dana Detractor", email="dana@example.com")
        answer = ResponseCreate(survey="nps-web", customer_external_id="c-dana", nps=2, comment=COMMENT)
        response_id = collection.record_responses(session, items=[answer]).ids[0]
        team = make_team(session, members=[_user(session, m) for m in members])
        trigger = TriggerRef(source=TriggerSource.response, id=response_id)
        data = CaseOpen(customer_id=customer.id, triggers=[trigger], title="Billing double charge", team_id=team.id)
        case, _ = cases.open_case(session, data=data, actor=SYSTEM)
        template = TemplateCreate(name="sorry", subject="About {case_reference}", body="Hi {first_name}, it is fixed.")
        follow_up_templates.create_template(session, data=template)
        cases.create_root_cause(session, data=RootCauseCreate(key="billing-bug", name="Billing bug"))
        return case.id


def test_an_agent_works_a_case_from_its_page(client: TestClient, db: Database) -> None:
    agent = make_user(db, Role.agent)
    colleague = make_user(db, Role.agent, email="colleague@example.com")
    case_id = detractor_case(db, agent, colleague)
    assert sign_in(client, agent).status_code == 303

    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200, page.text
    assert "Billing double charge" in page.text and 'href="/customers/' in page.text
    assert "NPS 2" in page.text and "Charged twice!" in page.text
    assert "dana.detractor@example.org" not in page.text, "an agent reads comments masked, as in the API"
    assert "Acknowledge" in page.text and "Test agent" in page.text
    token = csrf_token(page.text)

    assert client.post(f"/cases/{case_id}/notes", data={"text": "no token"}).status_code == 403
    noted = client.post(f"/cases/{case_id}/notes", data={"csrf_token": token, "text": "Called the bank"})
    assert noted.status_code == 200 and "Called the bank" in noted.text
    assert client.post(f"/cases/{case_id}/notes", data={"csrf_token": token, "text": " "}).status_code == 422

    acknowledged = client.post(f"/cases/{case_id}/acknowledge", data={"csrf_token": token, "back": f"/cases/{case_id}"})
    assert acknowledged.status_code == 200 and "acknowledge: new → acknowledged" in acknowledged.text
    assigned = client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "owner": "me"})
    assert assigned.status_code == 200 and "assigned to Test agent" in assigned.text
    with db.unit_of_work() as session:
        outsider = make_user(db, Role.agent, email="outsider@example.com")
        outsider_id = _user(session, outsider).id
    refused = client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "owner": str(outsider_id)})
    assert refused.status_code == 422 and "not an active member" in refused.text
    assert client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "owner": "x"}).status_code == 422

    preview = client.get(f"/cases/{case_id}?template=sorry&channel=email")
    assert "Hi Dana, it is fixed." in preview.text and f"About #{case_id}" in preview.text
    assert "✓ allowed" in preview.text and "may be sent now" in preview.text
    assert "template" in client.get(f"/cases/{case_id}?template=nothing-like-it").text
    sent = client.post(f"/cases/{case_id}/follow-ups", data={"csrf_token": token, "template": "sorry"})
    assert sent.status_code == 200 and "queued" in sent.text
    bad = client.post(f"/cases/{case_id}/follow-ups", data={"csrf_token": token, "template": "sorry", "channel": "fax"})
    assert bad.status_code == 422

    resolved = client.post(
        f"/cases/{case_id}/resolve",
        data={"csrf_token": token, "resolution": "Refunded", "root_cause": "billing-bug", "back": f"/cases/{case_id}"},
    )
    assert resolved.status_code == 200 and "root cause billing-bug" in resolved.text
    reopened = client.post(f"/cases/{case_id}/reopen", data={"csrf_token": token, "back": f"/cases/{case_id}"})
    assert reopened.status_code == 200 and "reopen: resolved → in progress" in reopened.text
    with db.unit_of_work() as session:
        case = cases.require_case(session, case_id=case_id)
        assert (case.status, case.owner_user_id) == ("in_progress", _user(session, agent).id)
        assert [f.status.value for f in follow_ups.follow_ups_of_case(session, case_id=case_id)] == ["queued"]


def test_the_case_page_is_for_the_case_s_teams_and_analysts_read_comments_as_written(
    client: TestClient, db: Database
) -> None:
    member = make_user(db, Role.agent)
    case_id = detractor_case(db, member)
    assert sign_in(client, make_user(db, Role.agent, email="other-team@example.com")).status_code == 303
    assert client.get(f"/cases/{case_id}").status_code == 404
    token = csrf_token(client.get("/cases").text)
    assert client.post(f"/cases/{case_id}/notes", data={"csrf_token": token, "text": "hi"}).status_code == 404
    assert client.get("/cases/999999").status_code == 404

    client.cookies.clear()
    assert sign_in(client, make_user(db, Role.analyst)).status_code == 303
    assert "dana.detractor@example.org" in client.get(f"/cases/{case_id}").text
