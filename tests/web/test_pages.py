"""The web app over HTTP (TestClient on the real app, SQLite and PostgreSQL): sign-in, sessions, CSRF, the sign-in
rate limit, roles, the filter bar's errors and the CSV export. The browser journeys are in test_browser.py."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import routing
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.audit.models import AuditEntry
from cxloop.audit.sampling import FailedSignInSampler
from cxloop.cases import service as cases
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.config import Settings
from cxloop.core.rate_limit import RateLimiter
from cxloop.storage.database import Database
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.web.auth import PAGE_ROLES, SESSION_COOKIE
from tests.factories.cases import make_team, open_case
from tests.factories.customers import make_customer
from tests.factories.surveys import make_survey
from tests.factories.triggers import make_rule
from tests.web.conftest import PASSWORD, csrf_token, make_user, sign_in, signed_in_client

# Every page of the web app and the role it needs (the API's ladder: viewer < agent < analyst < admin).
PAGES = {
    ("GET", "/"): Role.viewer,
    ("GET", "/partials/response-rates"): Role.viewer,
    ("GET", "/feedback"): Role.viewer,
    ("GET", "/themes"): Role.viewer,
    ("POST", "/themes/{theme_id:int}"): Role.analyst,
    ("POST", "/themes/merge"): Role.analyst,
    ("POST", "/themes/{theme_id:int}/split"): Role.analyst,
    ("POST", "/analyses/{result_id:int}/refresh"): Role.analyst,
    ("GET", "/journey"): Role.viewer,
    ("GET", "/anomalies"): Role.viewer,
    ("GET", "/insights"): Role.viewer,
    ("GET", "/insights/drivers"): Role.viewer,
    ("GET", "/insights/outcomes"): Role.viewer,
    ("GET", "/insights/partials/operations"): Role.viewer,
    ("GET", "/insights/partials/agents"): Role.viewer,
    ("GET", "/insights/churn"): Role.viewer,
    ("GET", "/insights/experiments"): Role.viewer,
    ("GET", "/insights/experiments/{key}"): Role.viewer,
    ("GET", "/insights/maturity"): Role.viewer,
    ("GET", "/live"): Role.viewer,  # server-sent events: not requested by the role test (it never ends)
    ("GET", "/listening"): Role.viewer,
    ("GET", "/feedback.csv"): Role.viewer,
    ("GET", "/customers"): Role.viewer,
    ("GET", "/customers/{customer_id:int}"): Role.viewer,
    ("GET", "/cases"): Role.agent,
    ("POST", "/cases/{case_id:int}/{action}"): Role.agent,
    ("POST", "/cases/bulk"): Role.agent,
    ("GET", "/cases/{case_id:int}"): Role.agent,
    ("POST", "/cases/{case_id:int}/notes"): Role.agent,
    ("POST", "/cases/{case_id:int}/assign"): Role.agent,
    ("POST", "/cases/{case_id:int}/follow-ups"): Role.agent,
    ("GET", "/surveys"): Role.viewer,
    ("GET", "/surveys/new"): Role.analyst,
    ("POST", "/surveys/new"): Role.analyst,
    ("GET", "/surveys/{survey_id:int}"): Role.viewer,
    ("POST", "/surveys/{survey_id:int}"): Role.analyst,
    ("POST", "/surveys/templates/{template_key}"): Role.analyst,
    ("POST", "/surveys/{survey_id:int}/status"): Role.analyst,
    ("POST", "/surveys/{survey_id:int}/triggers"): Role.analyst,
    ("POST", "/surveys/{survey_id:int}/triggers/{rule_id:int}"): Role.analyst,
    ("POST", "/surveys/{survey_id:int}/triggers/{rule_id:int}/edit"): Role.analyst,
    ("GET", "/surveys/{survey_id:int}/triggers/{rule_id:int}/delete"): Role.analyst,
    ("POST", "/surveys/{survey_id:int}/triggers/{rule_id:int}/delete"): Role.analyst,
    ("POST", "/surveys/preview/{channel}"): Role.viewer,
    ("GET", "/surveys/{survey_id:int}/preview/{channel}"): Role.viewer,  # the stored survey, for read-only roles
    ("GET", "/dashboards"): Role.viewer,  # reading; changing one is for its team (tests/web/test_dashboards.py)
    ("POST", "/dashboards"): Role.viewer,
    ("GET", "/dashboards/{dashboard_id:int}"): Role.viewer,
    ("GET", "/dashboards/{dashboard_id:int}/print"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/rename"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/delete"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/cards"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/cards/{card_id:int}"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/cards/{card_id:int}/move"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/cards/{card_id:int}/remove"): Role.viewer,
    ("POST", "/dashboards/{dashboard_id:int}/arrange"): Role.viewer,
    ("GET", "/settings"): Role.analyst,  # analysts: the SLA policies tab, admins: every tab
    ("GET", "/settings/users"): Role.admin,
    ("POST", "/settings/users"): Role.admin,
    ("POST", "/settings/users/{user_id:int}/role"): Role.admin,
    ("POST", "/settings/users/{user_id:int}/active"): Role.admin,
    ("GET", "/settings/api-keys"): Role.admin,
    ("POST", "/settings/api-keys"): Role.admin,
    ("POST", "/settings/api-keys/{api_key_id:int}/revoke"): Role.admin,
    ("GET", "/settings/teams"): Role.admin,
    ("POST", "/settings/teams"): Role.admin,
    ("POST", "/settings/teams/{team_id:int}"): Role.admin,
    ("POST", "/settings/teams/{team_id:int}/members"): Role.admin,
    ("POST", "/settings/teams/{team_id:int}/members/{user_id:int}/remove"): Role.admin,
    ("GET", "/settings/channels"): Role.admin,
    ("GET", "/settings/sla-policies"): Role.analyst,  # as PUT /api/v1/sla-policies
    ("POST", "/settings/sla-policies"): Role.analyst,
    ("POST", "/settings/sla-policies/{policy_id:int}"): Role.analyst,
    ("POST", "/settings/sla-policies/{policy_id:int}/delete"): Role.analyst,
    ("GET", "/settings/contact-policy"): Role.admin,
    ("POST", "/settings/contact-policy"): Role.admin,
    ("POST", "/settings/contact-policy/{key}"): Role.admin,
    ("POST", "/settings/contact-policy/{key}/delete"): Role.admin,
    ("POST", "/settings/channels/widget-sites"): Role.admin,
    ("POST", "/settings/channels/widget-sites/{site_id:int}"): Role.admin,
    ("POST", "/settings/channels/widget-sites/{site_id:int}/delete"): Role.admin,
    ("POST", "/settings/channels/widget-sites/{site_id:int}/enabled"): Role.admin,
    ("POST", "/settings/channels/widget-sites/{site_id:int}/rules"): Role.admin,
    ("POST", "/settings/channels/email"): Role.admin,
    ("POST", "/settings/channels/{channel}/reset"): Role.admin,
    ("POST", "/settings/channels/sms"): Role.admin,
    ("POST", "/settings/channels/helpdesk"): Role.admin,
    ("POST", "/settings/channels/bounces"): Role.admin,
    ("POST", "/settings/channels/email/test"): Role.admin,
    ("GET", "/account"): Role.viewer,  # every signed-in user: their own account
    ("POST", "/account/password"): Role.viewer,
    ("POST", "/account/digest"): Role.viewer,
    ("POST", "/account/timezone"): Role.viewer,
}
OPEN = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}


def _web_routes() -> dict[tuple[str, str], Role | None]:
    app = create_app(Settings(environment="test", database_url="sqlite://"))
    contexts = getattr(routing, "iter_route_contexts", None)
    routes = list(contexts(app.routes)) if contexts else list(app.routes)
    found: dict[tuple[str, str], Role | None] = {}
    for route in routes:
        endpoint = getattr(route, "endpoint", None)
        if endpoint is None or not endpoint.__module__.startswith("cxloop.web"):
            continue
        roles = [PAGE_ROLES[d.call] for d in route.dependant.dependencies if d.call in PAGE_ROLES]
        for method in route.methods - {"HEAD"}:
            found[(method, route.path)] = max(roles, key=lambda r: r.rank, default=None)
    return found


def test_every_page_declares_the_role_it_needs() -> None:
    routes = _web_routes()
    assert {route: role for route, role in routes.items() if role is not None} == PAGES
    assert {route for route, role in routes.items() if role is None} == OPEN


def test_sign_in_sets_a_session_cookie_and_sign_out_revokes_it(client: TestClient, db: Database) -> None:
    email = make_user(db, Role.viewer)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/feedback?range=7d", follow_redirects=False).headers["location"] == (
        "/login?next=%2Ffeedback%3Frange%3D7d"
    )
    response = sign_in(client, email, next_url="/feedback?range=7d")
    assert response.status_code == 303 and response.headers["location"] == "/feedback?range=7d"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = client.cookies.get(SESSION_COOKIE)
    page = client.get("/")
    assert page.status_code == 200 and "Test viewer" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]
    signed_out = client.post("/logout", data={"csrf_token": csrf_token(page.text)}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, token)  # the old cookie, kept by an attacker: dead
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_in_plain_words_and_audited(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cxloop.web.routes.failed_sign_ins", FailedSignInSampler(window=3600, per_window=10))
    email = make_user(db, Role.viewer)
    refused = sign_in(client, email, "not the password")
    assert refused.status_code == 401 and "The email or password is wrong." in refused.text
    assert SESSION_COOKIE not in client.cookies
    unknown = sign_in(client, "nobody@example.com")
    assert unknown.status_code == 401
    with db.unit_of_work() as session:
        # sampled per address: the two failures from one address make one entry
        assert session.scalar(select(func.count()).where(AuditEntry.action == "sign_in.failed")) == 1


@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_sign_in_never_sends_the_browser_to_another_site(client: TestClient, db: Database, next_url: str) -> None:
    response = sign_in(client, make_user(db, Role.viewer), next_url=next_url)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_the_sign_in_form_needs_its_csrf_token(client: TestClient, db: Database) -> None:
    email = make_user(db, Role.viewer)
    client.get("/login")
    refused = client.post("/login", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and SESSION_COOKIE not in client.cookies
    assert "out of date" in refused.text


def test_posts_without_the_session_csrf_token_change_nothing(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    with db.unit_of_work() as session:
        keys_before = len(access.list_api_keys(session))
    for data in ({"name": "sneaky", "role": "admin"}, {"name": "sneaky", "role": "admin", "csrf_token": "forged"}):
        refused = client.post("/settings/api-keys", data=data)
        assert refused.status_code == 403 and "Nothing was changed" in refused.text
    other_site = client.post(
        "/settings/api-keys",
        data={"name": "sneaky", "role": "admin", "csrf_token": csrf_token(client.get("/settings").text)},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    assert client.post("/logout", follow_redirects=False).status_code == 403  # still signed in
    assert client.get("/settings").status_code == 200
    with db.unit_of_work() as session:
        assert len(access.list_api_keys(session)) == keys_before


def test_an_admin_creates_an_api_key_shown_once_and_audited(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    token = csrf_token(client.get("/settings").text)
    created = client.post("/settings/api-keys", data={"name": "zapier", "role": "agent", "csrf_token": token})
    assert created.status_code == 200 and "never shown again" in created.text
    plain = created.text.split('id="new-key">')[1].split("<")[0]
    assert client.get("/api/v1/customers", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert plain not in client.get("/settings").text
    bad = client.post("/settings/api-keys", data={"name": "x", "role": "owner", "csrf_token": token})
    assert bad.status_code == 422 and "&#39;owner&#39; is not one of viewer" in bad.text
    with db.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_key.created")).one()
        assert entry.actor_kind == "user" and entry.changes["name"] == "zapier"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_pages(client: TestClient, db: Database, role: Role) -> None:
    signed_in_client(client, db, role)
    with db.unit_of_work() as session:
        customer_id = make_customer(session, external_id="c-1").id
        my_id = access.user_id_by_email(session, email=f"{role.value}@example.com")
        assert my_id is not None
        me = access.require_user(session, user_id=my_id)
        case_id = open_case(session, customer_id, team_id=make_team(session, members=[me]).id)[0].id
    survey_id = make_survey(db, key="pages").id
    with db.unit_of_work() as session:
        rule_id = make_rule(session, survey_id).id
    for (method, path), needed in PAGES.items():
        if method != "GET" or path == "/live":
            continue
        url = path.replace("{customer_id:int}", str(customer_id)).replace("{case_id:int}", str(case_id))
        url = url.replace("{survey_id:int}", str(survey_id)).replace("{rule_id:int}", str(rule_id))
        url = url.replace("{channel}", "hosted")
        if "{key}" in url or "{dashboard_id:int}" in url:
            continue  # an experiment's or a dashboard's page: test_insights_pages.py, test_dashboards.py
        answer = client.get(url)
        expected = 200 if role.includes(needed) else 403
        assert answer.status_code == expected, (url, role, answer.status_code)
        if expected == 403:
            assert f"needs the {needed.value} role" in answer.text
    nav = client.get("/").text
    assert ('href="/settings"' in nav) == role.includes(Role.analyst)  # analysts: the SLA policies tab


def test_sign_in_is_rate_limited_per_address_and_per_email(client: TestClient, db: Database) -> None:
    email = make_user(db, Role.viewer)
    # A day's window: the sliding window weighs the previous window by its overlap, so with a short one a test that
    # crosses a window boundary would get part of its budget back (core/rate_limit.py).
    client.app.state.rate_limiters = {"web-sign-in": RateLimiter(rate=3, per=86_400)}  # type: ignore[attr-defined]
    for _ in range(3):
        assert sign_in(client, email, "wrong password").status_code == 401
    limited = sign_in(client, email)  # the right password, but too many tries
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "Too many sign-in attempts" in limited.text and SESSION_COOKIE not in client.cookies


def test_a_bad_filter_answers_400_naming_the_field(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    for url, field in (
        ("/?range=fortnight", "range"),
        ("/?range=custom&start=2026-02-30&end=2026-03-01", "start"),
        ("/?range=custom&start=2026-03-02&end=2026-03-01", "end"),
        ("/?channel=pigeon", "channel"),
        ("/?segment=nosuch", "segment"),
        ("/?metric=arr", "metric"),
        ("/feedback?segment=" + "x" * 500, "segment"),
    ):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert f"<strong>{field}</strong>" in answer.text, (url, answer.text[-600:])
    assert "<strong>before</strong>" in client.get("/feedback?before=r.1.soon").text
    assert client.get("/customers/0").status_code == 422
    assert client.get("/customers/999999").status_code == 404


def test_the_csv_export_holds_what_the_explorer_shows(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    now = datetime.now(UTC)
    make_survey(db, key="nps-web")
    answers = [
        (2, "=HYPERLINK(evil) billing", 1, "email"),
        (9, "great support", 2, "link"),
        (3, "billing was slow", 200, "email"),
    ]
    with db.unit_of_work() as session:
        stored = collection.record_responses(
            session,
            items=[
                ResponseCreate(
                    survey="nps-web",
                    customer_external_id="c-csv",
                    nps=score,
                    comment=comment,
                    submitted_at=now - timedelta(days=days),
                    channel=channel,
                )
                for score, comment, days, channel in answers
            ],
        )
        # a viewer's search reads the analysed (masked) texts: analysed as the worker would
        text.enrich_items(session, kind=ItemKind.response, ids=stored.ids)
    page = client.get("/feedback?range=30d&q=billing")
    assert page.status_code == 200 and "1 response and 0 feedback items whose comment or text contains" in page.text
    exported = client.get("/feedback.csv?range=30d&q=billing")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["nps"], r["channel"], r["customer"]) for r in rows] == [("2", "email", "c-csv")]
    assert rows[0]["text"].startswith("'="), "a formula is neutralised"
    everything = list(csv.DictReader(io.StringIO(client.get("/feedback.csv?range=year").text)))
    assert sorted(r["nps"] for r in everything) == ["2", "3", "9"]
    by_channel = list(csv.DictReader(io.StringIO(client.get("/feedback.csv?range=year&channel=link").text)))
    assert [r["nps"] for r in by_channel] == ["9"]


def test_the_case_inbox_acknowledges_and_resolves_with_csrf(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.analyst)
    with db.unit_of_work() as session:
        customer = make_customer(session, external_id="c-case", name="Dana Detractor")
        case, _ = open_case(session, customer.id, title="Billing double charge")
    inbox = client.get("/cases")
    assert inbox.status_code == 200
    assert "Billing double charge" in inbox.text and "Dana Detractor" in inbox.text
    assert "acknowledge: " in inbox.text and "sla-ok" in inbox.text  # a fresh case has most of its time left
    token = csrf_token(inbox.text)
    assert client.post(f"/cases/{case.id}/acknowledge", data={"back": "/cases"}).status_code == 403
    done = client.post(
        f"/cases/{case.id}/acknowledge", data={"csrf_token": token, "back": "/cases?status=all"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/cases?status=all"
    again = client.post(f"/cases/{case.id}/acknowledge", data={"csrf_token": token})
    assert again.status_code == 409 and "The case was not changed" in again.text
    unresolved = client.post(f"/cases/{case.id}/resolve", data={"csrf_token": token})
    assert unresolved.status_code == 422 and "resolution" in unresolved.text
    resolved = client.post(f"/cases/{case.id}/resolve", data={"csrf_token": token, "resolution": "Refunded"})
    assert resolved.status_code == 200  # followed back to the inbox
    assert "Billing double charge" not in client.get("/cases").text  # no longer open
    assert "Billing double charge" in client.get("/cases?status=resolved").text
    assert client.get("/cases?status=lost").status_code == 400
    assert client.post(f"/cases/{case.id}/explode", data={"csrf_token": token}).status_code == 404
    with db.unit_of_work() as session:
        assert cases.require_case(session, case_id=case.id).status == "resolved"


def test_listening_health_counts_invitations_by_group(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    empty = client.get("/listening")
    assert empty.status_code == 200 and "No invitations in this range" in empty.text
    assert client.get("/listening?by=colour").status_code == 400
    for by in ("channel", "survey", "touchpoint", "policy"):
        assert client.get(f"/listening?by={by}&range=7d").status_code == 200
