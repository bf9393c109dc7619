"""Settings · Channels, a widget site's prompt rules over HTTP (SQLite and PostgreSQL): rules added, changed,
reordered by clearing a row and removed, as PATCH /api/v1/widget-sites/{id} with `rules` stores them; the public
config sees them at once; bad cells named beside them and nothing changed; audited as the API does
(`widget_site.updated`); other roles get 403."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.channels.widget import service as widget
from cxloop.storage.database import Database
from cxloop.web.widget_rule_form import compact, row_count, rule_rows
from tests.factories.surveys import make_survey
from tests.web.conftest import csrf_token, make_user, sign_in, signed_in_client
from tests.web.test_settings_pages import post

PAGE = "/settings/channels"
ORIGIN = {"Origin": "https://shop.example.com"}
RULES = {
    "rule0-survey": "rnps",
    "rule0-url_match": "/checkout/*",
    "rule0-seconds_on_page": "5",
    "rule0-sampling_percent": "25",
    "rule1-survey": "rnps",
    "rule1-event": "checkout_completed",
}


def _site(db: Database) -> Any:
    with db.unit_of_work() as session:
        found, _ = widget.list_sites(session)
        return widget.site_reads(session, found, public_url="http://testserver")[0]


def _made(client: TestClient, db: Database) -> Any:
    signed_in_client(client, db, Role.admin)
    make_survey(db)
    site = {"name": "Shop", "allowed_origins": "https://shop.example.com", "anonymous_cap_days": "30"}
    assert post(client, f"{PAGE}/widget-sites", {**site, "anonymous_sampling_percent": "100"}, page=PAGE).is_redirect
    return _site(db)


def _rules(client: TestClient, site_id: int, rows: dict[str, str]) -> Any:
    return post(client, f"{PAGE}/widget-sites/{site_id}/rules", rows, page=PAGE)


def test_cleared_rows_are_left_out_and_the_rest_renumbered() -> None:
    rows = compact({"rule0-survey": "", "rule1-event": "paid", "rule1-survey": "a", "rule7-url_match": "/x"})
    assert rows["rule0-event"] == "paid" and rows["rule1-url_match"] == "/x" and "rule2-survey" not in rows
    assert row_count(rows) == 4 and row_count({}) == 2


def test_an_admin_sets_changes_and_removes_prompt_rules(client: TestClient, db: Database) -> None:
    site = _made(client, db)
    assert f'id="rules-{site.id}-rule1-survey"' in client.get(PAGE).text, "two empty rows to add rules"
    saved = _rules(client, site.id, RULES)
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?done=rules-saved"
    first, second = _site(db).rules
    assert (first.survey, first.url_match, first.event, first.seconds_on_page, first.sampling_rate) == (
        "rnps",
        "/checkout/*",
        None,
        5,
        0.25,
    )
    assert (second.url_match, second.event, second.seconds_on_page, second.sampling_rate) == (
        None,
        "checkout_completed",
        0,
        1.0,
    )
    assert rule_rows(_site(db).rules)["rule0-sampling_percent"] == "25"
    config = client.get(f"/widget/v1/config?site_key={site.key}", headers=ORIGIN).json()
    assert config["delays"] == [5] and config["events"] == ["checkout_completed"], "seen by this process at once"
    page = client.get(saved.headers["location"]).text
    assert "The prompt rules were saved" in page and 'value="/checkout/*"' in page
    assert f'id="rules-{site.id}-rule3-survey"' in page, "the two rules and two empty rows"

    cleared = {**RULES, "rule0-survey": "", "rule0-url_match": "", "rule0-seconds_on_page": ""}
    assert _rules(client, site.id, cleared).status_code == 303
    [only] = _site(db).rules
    assert only.event == "checkout_completed"
    assert _rules(client, site.id, {}).status_code == 303 and _site(db).rules == []

    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action == "widget_site.updated").order_by(AuditEntry.id)
        entries = session.scalars(query).all()
    assert len(entries) == 3 and {e.actor_kind for e in entries} == {"user"}
    before, after = entries[1].changes["rules"]
    assert [r["url_match"] for r in before] == ["/checkout/*", None] and [r["event"] for r in after] == [
        "checkout_completed"
    ]


def test_bad_cells_are_named_beside_them_and_nothing_changes(client: TestClient, db: Database) -> None:
    site = _made(client, db)
    assert _rules(client, site.id, RULES).status_code == 303
    prefix = f"rules-{site.id}-rule"
    cases = [
        ({"rule1-survey": "nope"}, f"{prefix}1-survey-error", "no survey with key &#39;nope&#39;"),
        ({"rule0-survey": ""}, f"{prefix}0-survey-error", "at least 1 character"),
        ({"rule0-sampling_percent": "0"}, f"{prefix}0-sampling_percent-error", "above 0 and at most 100"),
        ({"rule1-sampling_percent": "lots"}, f"{prefix}1-sampling_percent-error", "above 0 and at most 100"),
        ({"rule0-seconds_on_page": "soon"}, f"{prefix}0-seconds_on_page-error", "is not a whole number of seconds"),
        ({"rule0-seconds_on_page": "999999"}, f"{prefix}0-seconds_on_page-error", "less than or equal to 86400"),
    ]
    for change, error_id, reason in cases:
        refused = _rules(client, site.id, {**RULES, **change})
        assert refused.status_code == 422, (change, refused.status_code)
        assert f'id="{error_id}">' in refused.text and reason in refused.text, (change, refused.text[-4000:])
        assert 'aria-invalid="true"' in refused.text
    kept = _rules(client, site.id, {**RULES, "rule1-survey": "nope", "rule1-event": "paid"})
    assert 'value="paid"' in kept.text, "the rows as typed are shown again"
    assert [r.url_match for r in _site(db).rules] == ["/checkout/*", None]
    gone = _rules(client, 999999, RULES)
    assert gone.status_code == 404 and "no widget site with id 999999" in gone.text
    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action == "widget_site.updated")
        assert len(session.scalars(query).all()) == 1, "only the rules that were saved"


def test_prompt_rules_need_the_admin_role_and_the_token(client: TestClient, db: Database) -> None:
    site = _made(client, db)
    forged = client.post(f"{PAGE}/widget-sites/{site.id}/rules", data={**RULES, "csrf_token": "forged"})
    assert forged.status_code == 403
    other = TestClient(client.app)
    sign_in(other, make_user(db, Role.analyst))
    token = csrf_token(other.get("/account").text)
    refused = other.post(f"{PAGE}/widget-sites/{site.id}/rules", data={**RULES, "csrf_token": token})
    assert refused.status_code == 403 and "needs the admin role" in refused.text
    assert _site(db).rules == []
