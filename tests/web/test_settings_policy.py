"""Settings · Contact policy over HTTP (SQLite and PostgreSQL): the default policy edited with the API's validation,
a scoped policy created, edited and deleted, errors beside the field, nothing changed by a refused form, every
change audited as `contact_policy.changed`."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.governance import policy, scoped_policies
from cxloop.storage.database import Database
from tests.web.conftest import signed_in_client
from tests.web.test_settings_pages import post

PAGE = "/settings/contact-policy"


def _form(**changes: Any) -> dict[str, Any]:
    """The default policy's form as the page fills it, with `changes`."""
    fields: dict[str, Any] = {
        "max_invitations": "3",
        "window_days": "30",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "default_timezone": "Europe/Berlin",
        "sampling_rate": "0.5",
        "holdout_percent": "5",
        "quiet_channels": ["sms", "email"],
        "weight_email": "1",
        "weight_sms": "2",
        "weight_link": "0",
        "weight_widget": "1",
    }
    return fields | changes


def _policies(db: Database) -> dict[str, Any]:
    with db.unit_of_work() as session:
        return {p.key: scoped_policies.read(p) for p in scoped_policies.list_policies(session)}


def test_the_default_policy_is_edited_and_audited(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    page = client.get(PAGE)
    assert page.status_code == 200 and "The default policy" in page.text
    saved = post(client, f"{PAGE}/default", _form(), page=PAGE)
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?done=policy-saved"
    default = _policies(db)[policy.DEFAULT_KEY]
    assert (default.max_invitations, default.window_days, default.sampling_rate) == (3, 30, 0.5)
    assert (default.quiet_start, default.default_timezone, default.holdout_percent) == ("21:00", "Europe/Berlin", 5.0)
    assert sorted(default.quiet_channels) == ["email", "sms"] and default.channel_weights["sms"] == 2.0
    shown = client.get(f"{PAGE}?done=policy-saved").text
    assert "it applies to every invitation decided from now on" in shown
    assert 'id="p-default-max" name="max_invitations" type="text" value="3"' in shown
    with db.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "contact_policy.changed")).one()
    assert entry.target_id == "default" and entry.actor_kind == "user" and entry.changes["window_days"][1] == 30


def test_bad_policy_fields_are_named_beside_them_and_nothing_changes(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    before = _policies(db)[policy.DEFAULT_KEY]
    cases = [
        ({"max_invitations": "many"}, "p-default-max-error", "&#39;many&#39; is not a whole number"),
        ({"max_invitations": "0"}, "p-default-max-error", "greater than or equal to 1"),
        ({"window_days": ""}, "p-default-window-error", "enter a whole number"),
        ({"sampling_rate": "2"}, "p-default-sampling-error", "less than or equal to 1"),
        ({"holdout_percent": "half"}, "p-default-holdout-error", "is not a number"),
        ({"quiet_start": "25:00"}, "p-default-quiet-start-error", "should match pattern"),
        ({"default_timezone": "Moon/Base"}, "p-default-zone-error", "unknown timezone"),
        ({"weight_sms": "11"}, "p-default-weight-sms-error", "less than or equal to 10"),
        ({"quiet_channels": ["pigeon"]}, "p-default-quiet-error", "should match pattern"),
    ]
    for change, error_id, words in cases:
        refused = post(client, f"{PAGE}/default", _form(**change), page=PAGE)
        assert refused.status_code == 422, change
        assert f'id="{error_id}">' in refused.text and words in refused.text, (change, error_id)
    assert _policies(db)[policy.DEFAULT_KEY] == before
    with db.unit_of_work() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "contact_policy.changed")).all() == []


def test_a_scoped_policy_is_created_edited_and_deleted(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    made = post(client, PAGE, {"key": "enterprise", "segment_filter": "plan = enterprise", "priority": "10"}, page=PAGE)
    assert made.status_code == 303 and made.headers["location"] == f"{PAGE}?done=policy-created"
    scoped = _policies(db)["enterprise"]
    assert (scoped.segment_filter, scoped.priority) == ("plan = enterprise", 10)
    edit = _form(segment_filter="plan = enterprise and company_size >= 200", priority="5", max_invitations="1")
    assert post(client, f"{PAGE}/enterprise", edit, page=PAGE).status_code == 303
    scoped = _policies(db)["enterprise"]
    assert (scoped.priority, scoped.max_invitations) == (5, 1) and "company_size" in str(scoped.segment_filter)
    bad_filter = post(client, f"{PAGE}/enterprise", _form(segment_filter="plan = = x", priority="5"), page=PAGE)
    assert bad_filter.status_code == 422 and 'id="p-enterprise-filter-error">' in bad_filter.text
    taken = post(client, PAGE, {"key": "enterprise", "segment_filter": "plan = smb", "priority": "1"}, page=PAGE)
    assert taken.status_code == 409 and 'id="new-policy-key-error">is taken' in taken.text
    for fields, error_id in [
        ({"key": "Big Ones", "segment_filter": "plan = x", "priority": "1"}, "new-policy-key-error"),
        ({"key": "smb", "segment_filter": "", "priority": "1"}, "new-policy-filter-error"),
        ({"key": "smb", "segment_filter": "plan = smb", "priority": "soon"}, "new-policy-priority-error"),
    ]:
        refused = post(client, PAGE, fields, page=PAGE)
        assert refused.status_code == 422 and f'id="{error_id}">' in refused.text, fields
    deleted = post(client, f"{PAGE}/enterprise/delete", {}, page=PAGE)
    assert deleted.headers["location"] == f"{PAGE}?done=policy-deleted"
    assert list(_policies(db)) == [policy.DEFAULT_KEY]
    default_refused = post(client, f"{PAGE}/default/delete", {}, page=PAGE)
    assert default_refused.status_code == 409 and "cannot be deleted" in default_refused.text
    missing = post(client, f"{PAGE}/nope", _form(), page=PAGE)
    assert missing.status_code == 404 and "no contact policy with key &#39;nope&#39;" in missing.text
    with db.unit_of_work() as session:
        targets = [e.target_id for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert targets == ["enterprise", "enterprise", "enterprise"]
