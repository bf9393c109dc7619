"""Settings · Channels, widget sites over HTTP (SQLite and PostgreSQL): created, edited and deleted by an admin with
the CSRF token; bad fields named beside them and nothing changed; audited as the API does; the public widget
endpoint sees the change at once; other roles get 403."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.channels.widget import service as widget
from cxloop.storage.database import Database
from tests.web.conftest import csrf_token, make_user, sign_in, signed_in_client
from tests.web.test_settings_pages import post

PAGE = "/settings/channels"
SITE = {
    "name": "Shop",
    "channel": "web",
    "allowed_origins": "https://shop.example.com\nhttps://www.example.com",
    "feedback_survey": "",
    "anonymous_cap_days": "14",
    "anonymous_sampling_percent": "25",
}


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return post(client, path, data, page=PAGE)


def _sites(db: Database) -> list[Any]:
    with db.unit_of_work() as session:
        found, _ = widget.list_sites(session)
        return widget.site_reads(session, found, public_url="http://testserver")


def _actions(db: Database) -> list[AuditEntry]:
    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action.like("widget_site.%")).order_by(AuditEntry.id)
        return list(session.scalars(query).all())


def test_an_admin_creates_edits_and_deletes_a_widget_site(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    assert "No widget sites yet" in client.get(PAGE).text
    made = _post(client, f"{PAGE}/widget-sites", SITE)
    assert made.status_code == 303 and made.headers["location"] == f"{PAGE}?done=site-created"
    [site] = _sites(db)
    assert (site.name, site.channel, site.anonymous_cap_days, site.anonymous_sampling_rate) == ("Shop", "web", 14, 0.25)
    assert site.allowed_origins == ["https://shop.example.com", "https://www.example.com"]
    page = client.get(made.headers["location"]).text
    assert "The widget site was created" in page and f"data-site-key=&#34;{site.key}&#34;" in page
    origin = {"Origin": "https://shop.example.com"}
    assert client.get(f"/widget/v1/config?site_key={site.key}", headers=origin).status_code == 200

    edited = {**SITE, "name": "Store", "channel": "in_app", "allowed_origins": "*", "anonymous_sampling_percent": "100"}
    saved = _post(client, f"{PAGE}/widget-sites/{site.id}", edited)
    assert saved.headers["location"] == f"{PAGE}?done=site-saved"
    [site] = _sites(db)
    assert (site.name, site.channel, site.allowed_origins) == ("Store", "in_app", ["*"])
    assert site.anonymous_sampling_rate == 1.0

    disabled = _post(client, f"{PAGE}/widget-sites/{site.id}/enabled", {"enabled": "no"})
    assert disabled.headers["location"] == f"{PAGE}?done=site-disabled" and not _sites(db)[0].enabled
    refused = client.get(f"/widget/v1/config?site_key={site.key}", headers=origin)
    assert refused.status_code == 404 and "no enabled widget site has this key" in refused.text
    assert "disabled: its script shows nothing" in client.get(PAGE).text
    assert _post(client, f"{PAGE}/widget-sites/{site.id}/enabled", {"enabled": "maybe"}).status_code == 422
    enabled = _post(client, f"{PAGE}/widget-sites/{site.id}/enabled", {"enabled": "yes"})
    assert enabled.headers["location"] == f"{PAGE}?done=site-enabled" and _sites(db)[0].enabled
    assert client.get(f"/widget/v1/config?site_key={site.key}", headers=origin).status_code == 200

    gone = _post(client, f"{PAGE}/widget-sites/{site.id}/delete", {})
    assert gone.headers["location"] == f"{PAGE}?done=site-deleted" and _sites(db) == []
    assert client.get(f"/widget/v1/config?site_key={site.key}", headers=origin).status_code == 404

    created, updated, off, on, deleted = _actions(db)
    assert [e.action for e in (created, updated, off, on, deleted)] == [
        "widget_site.created",
        "widget_site.updated",
        "widget_site.updated",
        "widget_site.updated",
        "widget_site.deleted",
    ]
    assert off.changes == {"enabled": [True, False]} and on.changes == {"enabled": [False, True]}
    assert created.actor_kind == "user" and created.target_id == str(site.id)
    assert updated.changes["name"] == ["Shop", "Store"] and updated.changes["channel"] == ["web", "in_app"]
    assert "embed" not in str(created.changes)


def test_bad_site_fields_are_named_beside_them_and_nothing_changes(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    cases = [
        ({"name": ""}, "new-site-name-error", "at least 1 character"),
        ({"allowed_origins": "shop.example.com/path"}, "new-site-origins-error", "give origins like https://"),
        ({"allowed_origins": ""}, "new-site-origins-error", "at least 1 item"),
        ({"channel": "fax"}, "new-site-channel-error", "&#39;web&#39; or &#39;in_app&#39;"),
        ({"feedback_survey": "nope"}, "new-site-survey-error", "no survey with key &#39;nope&#39;"),
        ({"anonymous_cap_days": "two"}, "new-site-cap-error", "give a whole number of days"),
        ({"anonymous_sampling_percent": "0"}, "new-site-sampling-error", "above 0 and at most 100"),
        ({"anonymous_sampling_percent": "lots"}, "new-site-sampling-error", "a share in per cent"),
    ]
    for change, error_id, reason in cases:
        refused = _post(client, f"{PAGE}/widget-sites", {**SITE, **change})
        assert refused.status_code == 422, (change, refused.status_code)
        assert f'id="{error_id}"' in refused.text and reason in refused.text, change
    assert _sites(db) == [] and _actions(db) == []

    _post(client, f"{PAGE}/widget-sites", SITE)
    [site] = _sites(db)
    refused = _post(client, f"{PAGE}/widget-sites/{site.id}", {**SITE, "name": "Store", "allowed_origins": "ftp://x"})
    assert refused.status_code == 422 and f'id="site-{site.id}-origins-error"' in refused.text
    assert 'value="Store"' in refused.text, "the typed values are shown again"
    assert _sites(db)[0].name == "Shop"
    missing = _post(client, f"{PAGE}/widget-sites/999999", SITE)
    assert missing.status_code == 404 and "no widget site with id 999999" in missing.text
    missing = _post(client, f"{PAGE}/widget-sites/999999/delete", {})
    assert missing.status_code == 404 and len(_sites(db)) == 1


def test_widget_site_forms_need_the_csrf_token_and_the_admin_role(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    _post(client, f"{PAGE}/widget-sites", SITE)
    [site] = _sites(db)
    forged = client.post(f"{PAGE}/widget-sites/{site.id}/delete", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and len(_sites(db)) == 1
    for role in (Role.viewer, Role.agent, Role.analyst):
        other = TestClient(client.app)
        sign_in(other, make_user(db, role))
        token = csrf_token(other.get("/account").text)
        assert other.get(PAGE).status_code == 403
        site_path = f"{PAGE}/widget-sites/{site.id}"
        for path in (f"{PAGE}/widget-sites", site_path, f"{site_path}/delete", f"{site_path}/enabled"):
            fields = {"enabled": "no"} if path.endswith("/enabled") else {**SITE, "name": "Taken"}
            refused = other.post(path, data={**fields, "csrf_token": token})
            assert refused.status_code == 403 and "needs the admin role" in refused.text, (role, path)
    assert [s.name for s in _sites(db)] == ["Shop"]
