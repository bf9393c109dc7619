"""The inbox's and the customers list's CSV hold every row of the filter, not only the page shown: streamed in
batches (web/csv_export.py), stopped at EXPORT_ROWS, formulas neutralised, each role seeing what its page shows
(TestClient on the real app, SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.core.csv_cells import unescape_formula
from cxloop.storage.database import Database
from cxloop.web import csv_export, inbox_page
from tests.factories.cases import make_team, open_case
from tests.factories.customers import make_customer
from tests.web.conftest import make_user, sign_in

FORMULA = '=HYPERLINK("http://evil.example","x")'
MINE = inbox_page.PAGE_SIZE + 6  # more cases than one page of the inbox, in the agent's team


def _rows(client: TestClient, url: str, key: str) -> list[list[str]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="cxloop-{key}.csv"' in answer.headers["content-disposition"]
    assert "'" + FORMULA.replace('"', '""') in answer.text  # quoted, with the quote in front: never a bare formula
    return list(csv.reader(io.StringIO(answer.text)))


@pytest.fixture
def cases_of_two_teams(db: Database) -> str:
    """MINE cases in the agent's team (the oldest titled like a formula), 2 in another team; the agent's email."""
    agent = make_user(db, Role.agent)
    with db.unit_of_work() as session:
        user_id = access.user_id_by_email(session, email=agent)
        assert user_id is not None
        team = make_team(session, members=[access.require_user(session, user_id=user_id)])
        other = make_team(session)
        for n in range(MINE + 2):
            customer = make_customer(session, external_id=f"c-{n}", name=f"Customer {n}")
            title = FORMULA if n == 0 else f"Problem {n}"
            open_case(session, customer.id, title=title, team_id=(other if n >= MINE else team).id)
    return agent


def test_the_inbox_csv_holds_every_case_of_the_filter_an_agent_may_see(
    client: TestClient, db: Database, cases_of_two_teams: str
) -> None:
    assert sign_in(client, cases_of_two_teams).status_code == 303
    rows = _rows(client, "/cases?status=open&export=inbox", "inbox")
    assert rows[0] == ["Case", "Title", "Priority", "Customer", "Status", "Owner", "SLA due", "SLA", "Opened"]
    titles = [unescape_formula(r[1]) for r in rows[1:]]
    assert len(titles) == MINE  # every case of the agent's team, beyond the first page; none of the other team
    assert titles[-1] == FORMULA and titles[0] == f"Problem {MINE - 1}"  # newest first, as the inbox lists them
    assert _rows(client, "/cases?status=all&export=inbox", "inbox") == rows
    assert len(list(csv.reader(io.StringIO(client.get("/cases?status=resolved&export=inbox").text)))) == 1


def test_an_analyst_exports_every_case(client: TestClient, db: Database, cases_of_two_teams: str) -> None:
    assert sign_in(client, make_user(db, Role.analyst)).status_code == 303
    assert len(_rows(client, "/cases?export=inbox", "inbox")) == 1 + MINE + 2


def test_the_export_stops_at_its_cap_reading_in_batches(
    client: TestClient, db: Database, cases_of_two_teams: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_export, "EXPORT_ROWS", 8)
    monkeypatch.setattr(csv_export, "EXPORT_BATCH", 3)
    assert sign_in(client, cases_of_two_teams).status_code == 303
    answer = client.get("/cases?export=inbox")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert len(rows) == 1 + 8
    assert len({r[0] for r in rows[1:]}) == 8  # eight different cases over three batches
    with_all = list(csv.reader(io.StringIO(client.get("/cases?export=inbox&status=all").text)))
    assert with_all == rows


def test_a_bad_filter_is_refused_before_the_csv_starts(client: TestClient, db: Database) -> None:
    assert sign_in(client, make_user(db, Role.agent)).status_code == 303
    answer = client.get("/cases?status=nonsense&export=inbox")
    assert answer.status_code == 400 and "status" in answer.text
    answer = client.get("/cases?cursor=garbage&export=inbox")
    assert answer.status_code == 200  # the export starts at the filter's first case, whatever page was shown


@pytest.fixture
def many_customers(db: Database) -> None:
    """More customers than one page of the list, one named like a formula, five named Zed."""
    with db.unit_of_work() as session:
        for n in range(30):
            name = FORMULA if n == 0 else f"Zed {n}" if n < 6 else f"Person {n}"
            make_customer(session, external_id=f"cust-{n}", name=name)


@pytest.mark.parametrize("role", [Role.viewer, Role.agent, Role.admin])
def test_the_customers_csv_holds_every_customer_of_the_search(
    client: TestClient, db: Database, many_customers: None, role: Role
) -> None:
    assert sign_in(client, make_user(db, role)).status_code == 303
    rows = _rows(client, "/customers?export=customers&page=2", "customers")
    assert rows[0] == ["Customer", "Customer id", "Email", "Account", "Stage"]
    assert sorted(r[1] for r in rows[1:]) == sorted(f"cust-{n}" for n in range(30))
    found = list(csv.reader(io.StringIO(client.get("/customers?q=Zed&export=customers").text)))
    assert sorted(r[0] for r in found[1:]) == [f"Zed {n}" for n in range(1, 6)]
