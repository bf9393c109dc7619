"""The case inbox's bulk actions over HTTP (TestClient on the real app, SQLite and PostgreSQL): acknowledge, resolve,
close, assign and set the priority of the selected cases through the cases service, each case refused by the rules
reported in words while the others change; CSRF and bad forms refused with nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.cases import service as cases
from cxloop.cases import tasks
from cxloop.cases.enums import CaseAction
from cxloop.cases.schemas import SYSTEM
from cxloop.cases.service import bulk_runs
from cxloop.core.clock import utcnow
from cxloop.jobs.models import OutboxEvent
from cxloop.precomputed import service as precomputed
from cxloop.storage.database import Database
from cxloop.web import inbox_page
from tests.factories.cases import make_team, open_case
from tests.factories.customers import make_customer
from tests.web.conftest import csrf_token, make_user, sign_in


@dataclass(frozen=True)
class Inbox:
    """Three new cases and a resolved one in the agent's team, one case in another team, and the inbox's token."""

    fresh: list[int]
    resolved: int
    elsewhere: int
    colleague: int
    outsider: int
    token: str


def _user_id(db: Database, email: str) -> int:
    with db.unit_of_work() as session:
        found = access.user_id_by_email(session, email=email)
    assert found is not None
    return found


@pytest.fixture
def inbox(client: TestClient, db: Database) -> Inbox:
    agent = make_user(db, Role.agent)
    colleague = make_user(db, Role.agent, email="colleague@example.com")
    outsider = make_user(db, Role.agent, email="outsider@example.com")
    ids = {email: _user_id(db, email) for email in (agent, colleague, outsider)}
    with db.unit_of_work() as session:
        team = make_team(session, members=[access.require_user(session, user_id=ids[e]) for e in (agent, colleague)])
        other = make_team(session, members=[access.require_user(session, user_id=ids[outsider])])
        made = []
        for n in range(5):
            customer = make_customer(session, external_id=f"c-bulk-{n}", name=f"Customer {n}")
            case, _ = open_case(session, customer.id, title=f"Problem {n}", team_id=(other if n == 4 else team).id)
            made.append(case.id)
        cases.transition(session, case_id=made[3], action=CaseAction.resolve, actor=SYSTEM, resolution="Done")
    assert sign_in(client, agent).status_code == 303
    page = client.get("/cases")
    assert page.status_code == 200
    return Inbox(made[:3], made[3], made[4], ids[colleague], ids[outsider], csrf_token(page.text))


def _post(client: TestClient, inbox: Inbox, ids: list[int], **fields: str) -> httpx.Response:
    return client.post("/cases/bulk", data={"csrf_token": inbox.token, "case_id": [str(i) for i in ids], **fields})


def _statuses(db: Database, ids: list[int]) -> list[str]:
    with db.unit_of_work() as session:
        return [cases.require_case(session, case_id=i).status for i in ids]


def _case_events(db: Database) -> list[tuple[str, list[int]]]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.name.like("case.%")).order_by(OutboxEvent.id))
        return [(r.name, list(r.payload["case_ids"])) for r in rows if r.name != "case.created"]


def test_the_inbox_offers_selection_the_bulk_bar_and_the_shortcuts_help(client: TestClient, inbox: Inbox) -> None:
    page = client.get("/cases?status=all").text
    assert 'form id="bulk"' in page and 'action="/cases/bulk"' in page
    for case_id in (*inbox.fresh, inbox.resolved):
        assert f'name="case_id" value="{case_id}" form="bulk"' in page
    assert f'value="{inbox.elsewhere}"' not in page, "an agent sees their teams' cases only"
    assert "data-select-all" in page and 'id="inbox-keys"' in page and "<kbd>j</kbd>" in page
    assert '<option value="me">me (Test agent)</option>' in page
    assert f'<option value="{inbox.colleague}">' in page and f'<option value="{inbox.outsider}">' not in page


def test_bulk_acknowledge_changes_the_allowed_cases_and_names_each_refusal(
    client: TestClient, db: Database, inbox: Inbox
) -> None:
    chosen = [*inbox.fresh[:2], inbox.resolved, inbox.elsewhere]
    answer = _post(client, inbox, chosen, action="acknowledge", status="all")
    assert answer.status_code == 200
    text = answer.text
    assert f'Acknowledged: <a href="/cases/{inbox.fresh[0]}">#{inbox.fresh[0]}</a>' in text
    assert "2 cases not changed" in text
    assert f"#{inbox.resolved}</a>: cannot acknowledge a case that is resolved (status is resolved; allowed:" in text
    assert f"#{inbox.elsewhere}</a>: it is not among your teams&#39; cases" in text
    assert _statuses(db, [*inbox.fresh, inbox.resolved]) == ["acknowledged", "acknowledged", "new", "resolved"]
    assert _statuses(db, [inbox.elsewhere]) == ["new"]
    assert _case_events(db) == [("case.resolved", [inbox.resolved])] + [
        ("case.updated", [i]) for i in inbox.fresh[:2]
    ], "one event per changed case, none for the refused ones"
    with db.unit_of_work() as session:
        activity = cases.case_detail(session, cases.require_case(session, case_id=inbox.fresh[0])).activity
    assert [(a.actor, a.detail.get("action")) for a in activity if a.kind == "status"] == [
        ("Test agent", "acknowledge")
    ]

    again = _post(client, inbox, inbox.fresh[:2], action="acknowledge")
    assert again.status_code == 409, "nothing could be changed: the API's status for the refusal"
    assert "Acknowledged:" not in again.text


def test_bulk_resolve_close_assign_and_priority(client: TestClient, db: Database, inbox: Inbox) -> None:
    no_resolution = _post(client, inbox, inbox.fresh, action="resolve", resolution="  ")
    assert no_resolution.status_code == 422 and "resolution" in no_resolution.text
    assert _statuses(db, inbox.fresh) == ["new"] * 3

    assigned = _post(client, inbox, inbox.fresh[:2], action="assign", owner=str(inbox.colleague))
    assert assigned.status_code == 200 and "Assigned to Test agent:" in assigned.text
    outside = _post(client, inbox, inbox.fresh[:2], action="assign", owner=str(inbox.outsider))
    assert outside.status_code == 422
    assert "Test agent is not a member of the case&#39;s team" in outside.text
    mine = _post(client, inbox, [inbox.fresh[2]], action="assign", owner="me")
    assert mine.status_code == 200

    urgent = _post(client, inbox, inbox.fresh, action="priority", set_priority="urgent", priority="urgent")
    assert urgent.status_code == 200 and "Set to urgent priority:" in urgent.text
    assert 'name="priority" value="urgent"' in urgent.text, "back to the same filters"
    assert _post(client, inbox, inbox.fresh, action="priority", set_priority="asap").status_code == 422

    resolved = _post(client, inbox, inbox.fresh[:2], action="resolve", resolution="Refunded")
    assert resolved.status_code == 200 and "Resolved:" in resolved.text
    closed = _post(client, inbox, [*inbox.fresh, inbox.resolved], action="close")
    assert closed.status_code == 200
    with db.unit_of_work() as session:
        found = [cases.require_case(session, case_id=i) for i in inbox.fresh]
        assert [(c.status, c.priority, c.resolution) for c in found] == [
            ("closed", "urgent", "Refunded"),
            ("closed", "urgent", "Refunded"),
            ("closed", "urgent", None),
        ]
        assert [c.owner_user_id for c in found[:2]] == [inbox.colleague] * 2
        assert found[2].owner_user_id not in (None, inbox.colleague)
    assert _statuses(db, [inbox.resolved]) == ["closed"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"action": "acknowledge"}, "case_id"),
        ({"action": "acknowledge", "case_id": "abc"}, "case_id"),
        ({"action": "explode", "case_id": "1"}, "action"),
        ({"action": "assign", "case_id": "1", "owner": "someone"}, "owner"),
    ],
)
def test_a_bulk_form_that_cannot_be_read_changes_nothing(
    client: TestClient, db: Database, inbox: Inbox, fields: dict[str, str], named: str
) -> None:
    answer = client.post("/cases/bulk", data={"csrf_token": inbox.token, **fields})
    assert answer.status_code == 422 and f"<strong>{named}</strong>" in answer.text
    assert _statuses(db, inbox.fresh) == ["new"] * 3


def test_bulk_changes_need_the_csrf_token_and_the_agent_role(client: TestClient, db: Database, inbox: Inbox) -> None:
    forged = client.post("/cases/bulk", data={"case_id": [str(inbox.fresh[0])], "action": "acknowledge"})
    assert forged.status_code == 403
    too_many = _post(client, inbox, list(range(1, 102)), action="acknowledge")
    assert too_many.status_code == 422 and "at most 100" in too_many.text
    bad_view = _post(client, inbox, inbox.fresh, action="acknowledge", status="lost")
    assert bad_view.status_code == 400
    assert _statuses(db, inbox.fresh) == ["new"] * 3
    client.cookies.clear()
    assert sign_in(client, make_user(db, Role.viewer)).status_code == 303
    viewer_token = csrf_token(client.get("/account").text)
    refused = client.post(
        "/cases/bulk", data={"csrf_token": viewer_token, "case_id": [str(inbox.fresh[0])], "action": "acknowledge"}
    )
    assert refused.status_code == 403 and "agent role" in refused.text
    assert _statuses(db, inbox.fresh) == ["new"] * 3


def test_an_action_on_every_case_of_the_filter_asks_to_confirm_n_then_changes_them_in_batches(
    client: TestClient, db: Database, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 2 and batches of 2 over the agent's 3 open cases: the inbox offers all 3 of the filter, the first
    post asks to confirm naming 3 and changes nothing, the confirmed one changes every case of the filter (not the
    other team's), one outbox event and one activity entry each; a count that moved since is refused."""
    monkeypatch.setattr(inbox_page, "PAGE_SIZE", 2)
    monkeypatch.setattr(cases, "MAX_BULK", 2)
    earlier = _case_events(db)
    page = client.get("/cases").text
    assert 'name="every" value="3"' in page and "Select all 3 cases matching this filter (open, any priority)" in page

    asked = client.post("/cases/bulk", data={"csrf_token": inbox.token, "every": "3", "action": "acknowledge"})
    assert asked.status_code == 200 and "Acknowledged: all 3 cases of this filter?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text and 'name="action" value="acknowledge"' in asked.text
    assert _statuses(db, inbox.fresh) == ["new"] * 3 and _case_events(db) == earlier

    moved = client.post(
        "/cases/bulk", data={"csrf_token": inbox.token, "every": "4", "confirmed": "yes", "action": "acknowledge"}
    )
    assert moved.status_code == 409 and "now matches 3 cases, not 4: nothing was changed" in moved.text
    assert _statuses(db, inbox.fresh) == ["new"] * 3

    done = client.post(
        "/cases/bulk", data={"csrf_token": inbox.token, "every": "3", "confirmed": "yes", "action": "acknowledge"}
    )
    assert done.status_code == 200 and "Acknowledged:" in done.text
    assert _statuses(db, inbox.fresh) == ["acknowledged"] * 3
    assert _statuses(db, [inbox.elsewhere, inbox.resolved]) == ["new", "resolved"]
    assert sorted(_case_events(db)[len(earlier) :]) == sorted(("case.updated", [i]) for i in inbox.fresh)
    with db.unit_of_work() as session:
        for case_id in inbox.fresh:
            activity = cases.case_detail(session, cases.require_case(session, case_id=case_id)).activity
            assert [a.detail.get("action") for a in activity if a.kind == "status"] == ["acknowledge"]

    for fields, named in (({"every": "lots"}, "every"), ({"every": "3", "action": "explode"}, "action")):
        refused = client.post("/cases/bulk", data={"csrf_token": inbox.token, "action": "close", **fields})
        assert refused.status_code == 422 and f"<strong>{named}</strong>" in refused.text
    monkeypatch.setattr(inbox_page, "EVERY_LIMIT", 2)
    assert "More than 2 cases match this filter" in client.get("/cases").text
    too_many = client.post("/cases/bulk", data={"csrf_token": inbox.token, "every": "3", "action": "close"})
    assert too_many.status_code == 422 and "matches more than 2 cases: narrow it first" in too_many.text


def test_an_action_on_more_cases_than_a_request_takes_runs_in_the_worker_over_the_cases_matched_at_confirmation(
    client: TestClient, db: Database, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above IN_REQUEST_UP_TO (2 here) the confirmed action is queued for the worker with the filter's snapshot: the
    inbox says it is queued and that no worker runs, then its progress while chunks commit (polling itself), then
    the counts; a case opened after the confirmation is left alone; the counts are audited once."""
    monkeypatch.setattr(inbox_page, "IN_REQUEST_UP_TO", 2)
    monkeypatch.setattr(inbox_page, "PAGE_SIZE", 2)
    monkeypatch.setattr(bulk_runs, "CHUNK", 2)
    assert "the worker changes them in the background" in client.get("/cases").text
    asked = client.post("/cases/bulk", data={"csrf_token": inbox.token, "every": "3", "action": "acknowledge"})
    assert asked.status_code == 200 and "changed in the background by the worker" in asked.text
    confirmed = {"csrf_token": inbox.token, "every": "3", "confirmed": "yes", "action": "acknowledge"}
    queued = client.post("/cases/bulk", data=confirmed, follow_redirects=False)
    assert queued.status_code == 303 and queued.headers["location"] == "/cases?status=open&priority="
    assert _statuses(db, inbox.fresh) == ["new"] * 3  # nothing changed in the request
    page = client.get("/cases").text
    assert "<strong>Queued</strong>: no worker is running, so nothing has changed yet" in page
    assert 'hx-select="#bulk-runs"' in page and "3 cases of this filter as it was when confirmed" in page

    with db.unit_of_work(write=True) as session:
        team_id = cases.require_case(session, case_id=inbox.fresh[0]).team_id
        late = open_case(session, make_customer(session, external_id="c-late").id, title="Late", team_id=team_id)[0].id
        precomputed.record_sweep(session, now=utcnow(), refreshed=0, seconds=0.1)  # a worker runs now
    assert "Queued: the worker starts on it in a moment" in client.get("/cases").text
    with db.unit_of_work() as session:
        (run,) = cases.recent_bulk_runs(session, user_id=_user_id(db, "agent@example.com"), since=utcnow())
    with db.unit_of_work(write=True) as session:
        assert bulk_runs.run_chunk(session, run_id=run.id, now=utcnow())
    page = client.get("/cases").text
    assert "2 of 3 done (2 changed, 0 skipped)" in page and '<progress max="3" value="2"' in page

    tasks.run_bulk(SimpleNamespace(database=db), tasks.BulkRunToDo(run_id=run.id))
    page = client.get("/cases").text
    assert "<strong>Acknowledged</strong>: 3 cases changed, 0 skipped" in page
    assert 'hx-select="#bulk-runs"' not in page  # done: the panel stops polling
    assert _statuses(db, [*inbox.fresh, late]) == ["acknowledged"] * 3 + ["new"]
    with db.unit_of_work() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "case_bulk.finished")).all()
    assert [(e.target_id, e.changes["changed"], e.changes["skipped"]) for e in entries] == [(str(run.id), 3, 0)]
