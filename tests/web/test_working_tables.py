"""The tables people work in are Tables too (TestClient on the real app, SQLite and PostgreSQL): the case inbox (with
its checkboxes for the bulk bar and its action buttons), the customers list, a customer's consent, the users and the
API keys: sortable headers, and `?export=<key>` answers the rows shown as CSV, formulas escaped, never a secret."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.core.csv_cells import unescape_formula
from cxloop.storage.database import Database
from tests.factories.cases import open_case
from tests.factories.customers import make_customer
from tests.web.conftest import signed_in_client
from tests.web.test_tables import FORMULA, csv_of, tables_of


def _plant(db: Database) -> tuple[int, str]:
    """Two customers (one named like a formula), a case on each, and an API key; the first customer's id and the
    key itself."""
    with db.unit_of_work() as session:
        first = make_customer(session, external_id="c-1", name="Ada Lovelace", email="ada@example.com")
        second = make_customer(session, external_id="c-2", name=FORMULA)
        open_case(session, first.id, title="Late delivery")
        open_case(session, second.id, title="Broken widget")
        _, plain = access.create_api_key(session, name="zapier import", role=Role.analyst)
    return first.id, plain


def test_the_inbox_is_a_table_with_its_checkboxes_actions_and_csv(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    _plant(db)
    page = client.get("/cases").text
    shown = tables_of(page)["inbox"]
    assert shown[0] == ["Selected", "Case", "Priority", "Customer", "Status", "SLA", "Opened", "Actions"]
    assert 'name="case_id"' in page and 'form="bulk"' in page and "data-select-all" in page
    assert '<th scope="col" data-nosort>Actions</th>' in page and "data-sortable" in page
    assert 'class="table inbox"' in page and page.count("Acknowledge<span") == 2
    rows = csv_of(client, "/cases", "inbox")
    assert rows[0] == ["Case", "Title", "Priority", "Customer", "Status", "Owner", "SLA due", "SLA", "Opened"]
    assert len(rows) == len(shown) == 3
    titles = [row[1] for row in rows[1:]]
    assert sorted(titles) == ["Broken widget", "Late delivery"]
    assert [s[1] for s in shown[1:]] == [f"#{row[0]} {row[1]}" for row in rows[1:]]  # the same order
    assert {unescape_formula(row[3]) for row in rows[1:]} == {"Ada Lovelace", FORMULA}
    assert any(row[3].startswith("'=") for row in rows[1:]), "a formula is escaped"
    assert all(row[7].startswith("acknowledge:") for row in rows[1:])


def test_customers_and_a_customer_s_consent_export_what_they_show(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    ada, _ = _plant(db)
    listed = tables_of(client.get("/customers").text)["customers"]
    rows = csv_of(client, "/customers", "customers")
    assert rows[0] == ["Customer", "Customer id", "Email", "Account", "Stage"] and len(rows) == len(listed) == 3
    assert ["Ada Lovelace", "c-1", "ada@example.com", "", ""] in rows
    searched = csv_of(client, "/customers?q=ada", "customers")
    assert [row[1] for row in searched[1:]] == ["c-1"]

    consent = tables_of(client.get(f"/customers/{ada}").text)["consent"]
    rows = csv_of(client, f"/customers/{ada}", "consent")
    assert rows[0] == consent[0] and rows[0][0] == "Purpose" and len(rows) == len(consent) > 1
    assert all(cell in ("yes", "no") for row in rows[1:] for cell in row[1:])
    assert [row[0] for row in rows[1:]] == [row[0] for row in consent[1:]]


def test_users_and_api_keys_are_tables_and_their_csv_holds_no_secret(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    _, plain = _plant(db)
    users = tables_of(client.get("/settings/users").text)["users"]
    assert users[0] == ["Email", "Name", "Teams", "Role", "State"]
    rows = csv_of(client, "/settings/users", "users")
    assert rows[0] == ["Email", "Name", "Teams", "Role", "State"]
    assert ["admin@example.com", "Test admin", "", "admin", "active"] in rows

    keys = tables_of(client.get("/settings/api-keys").text)["api-keys"]
    assert keys[0] == ["Name", "Starts with", "Role", "Created", "Last used", "Revoke"]
    rows = csv_of(client, "/settings/api-keys", "api-keys")
    assert rows[0] == ["Name", "Starts with", "Role", "Created", "Last used"] and len(rows) == len(keys) == 2
    assert rows[1][0] == "zapier import" and rows[1][2] == "analyst" and rows[1][4] == ""
    assert plain[len(rows[1][1]) :] not in "".join(",".join(row) for row in rows), "only the key's first characters"
