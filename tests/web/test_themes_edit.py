"""Editing the taxonomy from the themes page (TestClient on the real app, SQLite and PostgreSQL): rename, pin, hide
and show, merge, split, each through the taxonomy service with the API's audit entry; viewers get no forms and 403;
refusals name the field and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.surveys import make_survey
from tests.web.conftest import csrf_token, signed_in_client

COMMENTS = ["billing charged me twice", "the invoice was wrong", "refund took weeks", "great support team"]


@pytest.fixture
def taxonomy(db: Database) -> dict[str, int]:
    """Three rule themes over four comments: their ids by name."""
    make_survey(db, key="nps-web")
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        collection.record_responses(
            session,
            items=[
                ResponseCreate(survey="nps-web", nps=3 + n, comment=c, submitted_at=now - timedelta(days=n + 1))
                for n, c in enumerate(COMMENTS)
            ],
        )
        return {
            name: themes.add_rule(session, data=RuleCreate(name=name, phrases=phrases)).id
            for name, phrases in (
                ("Billing", ["billing", "refund"]),
                ("Invoices", ["invoice"]),
                ("Support", ["support"]),
            )
        }


def _post(client: TestClient, path: str, **data: str | list[str]) -> httpx.Response:
    token = csrf_token(client.get("/themes").text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def _entries(db: Database, action: str) -> list[AuditEntry]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_viewers_read_the_themes_without_forms_and_cannot_post(
    client: TestClient, db: Database, taxonomy: dict[str, int]
) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/themes").text
    assert "Billing" in page and 'action="/themes/merge"' not in page and "Rename" not in page
    token = csrf_token(client.get("/account").text)
    answer = client.post(f"/themes/{taxonomy['Billing']}", data={"csrf_token": token, "name": "Charges"})
    assert answer.status_code == 403 and "analyst role" in answer.text
    with db.unit_of_work() as session:
        assert themes.require_theme(session, theme_id=taxonomy["Billing"]).name == "Billing"


def test_an_analyst_renames_pins_hides_and_shows_a_theme(
    client: TestClient, db: Database, taxonomy: dict[str, int]
) -> None:
    signed_in_client(client, db, Role.analyst)
    billing = taxonomy["Billing"]
    page = client.get("/themes").text
    assert 'action="/themes/merge"' in page and f'id="name-{billing}"' in page and 'name="groups"' in page
    assert client.post(f"/themes/{billing}", data={"name": "Charges"}).status_code == 403, "no CSRF token"

    renamed = _post(client, f"/themes/{billing}", name="Charges")
    assert renamed.status_code == 303 and renamed.headers["location"] == "/themes?done=renamed"
    assert "The theme was renamed" in client.get("/themes?done=renamed").text
    (entry,) = _entries(db, "theme.updated")
    assert entry.target_id == str(billing) and entry.actor_kind == "user" and entry.actor_role == "analyst"
    assert entry.changes == {"name": ["Billing", "Charges"]}

    assert _post(client, f"/themes/{billing}", pinned="true").headers["location"] == "/themes?done=pinned"
    assert "pinned</span>" in client.get("/themes").text and "Unpin" in client.get("/themes").text
    assert _post(client, f"/themes/{billing}", hidden="true").headers["location"] == "/themes?done=hidden"
    after_hiding = client.get("/themes").text
    assert "Hidden themes" in after_hiding and f'id="name-{billing}"' not in after_hiding
    assert _post(client, f"/themes/{billing}", hidden="false").headers["location"] == "/themes?done=shown"
    assert _post(client, f"/themes/{billing}", pinned="false").headers["location"] == "/themes?done=unpinned"
    with db.unit_of_work() as session:
        theme = themes.require_theme(session, theme_id=billing)
        assert (theme.name, theme.user_named, theme.pinned, theme.hidden) == ("Charges", True, False, False)
    assert len(_entries(db, "theme.updated")) == 5


@pytest.mark.parametrize(
    ("path", "data", "status", "named"),
    [
        ("/themes/{Billing}", {"name": " "}, 422, "name"),
        ("/themes/{Billing}", {"name": "x" * 201}, 422, "name"),
        ("/themes/{Billing}", {"pinned": "maybe"}, 422, "pinned"),
        ("/themes/{Billing}", {}, 422, "name"),
        ("/themes/999999", {"name": "Lost"}, 404, "theme_id"),
        ("/themes/merge", {"into": "{Billing}"}, 422, "theme_ids"),
        ("/themes/merge", {"theme_id": ["{Billing}"], "into": "{Billing}"}, 422, "theme_ids.0"),
        ("/themes/merge", {"theme_id": ["{Invoices}"], "into": "999999"}, 404, "theme_ids"),
        ("/themes/merge", {"theme_id": ["abc"], "into": "{Billing}"}, 422, "theme_ids"),
        ("/themes/{Billing}/split", {"groups": " \n "}, 422, "groups"),
        ("/themes/{Billing}/split", {"groups": "x" * 101}, 422, "groups"),
    ],
)
def test_refused_edits_name_the_field_and_change_nothing(
    client: TestClient,
    db: Database,
    taxonomy: dict[str, int],
    path: str,
    data: dict[str, str | list[str]],
    status: int,
    named: str,
) -> None:
    signed_in_client(client, db, Role.analyst)

    def filled(value: str) -> str:
        return value.format(**taxonomy)

    sent = {k: [filled(v) for v in value] if isinstance(value, list) else filled(value) for k, value in data.items()}
    answer = _post(client, filled(path), **sent)
    assert answer.status_code == status and f"<strong>{named}</strong>" in answer.text, answer.text
    with db.unit_of_work() as session:
        found = themes.list_themes(session, include_hidden=True, include_merged=True)
    assert sorted(t.name for t in found) == ["Billing", "Invoices", "Support"]
    assert all(t.merged_into_id is None for t in found)
    assert not _entries(db, "theme.updated") and not _entries(db, "theme.merged") and not _entries(db, "theme.split")


def test_an_analyst_merges_and_splits_themes(client: TestClient, db: Database, taxonomy: dict[str, int]) -> None:
    signed_in_client(client, db, Role.admin)
    billing, invoices = taxonomy["Billing"], taxonomy["Invoices"]
    merged = _post(client, "/themes/merge", theme_id=[str(invoices)], into=str(billing))
    assert merged.status_code == 303 and merged.headers["location"] == "/themes?done=merged"
    (entry,) = _entries(db, "theme.merged")
    assert entry.target_id == str(billing) and entry.changes == {"merged": [None, [invoices]]}
    page = client.get("/themes").text
    assert f'<option value="{invoices}">' not in page, "a merged theme leaves the list"

    split = _post(client, f"/themes/{billing}/split", groups="refund, money back\ninvoice")
    assert split.status_code == 303 and split.headers["location"] == "/themes?done=split"
    (entry,) = _entries(db, "theme.split")
    assert [t["phrases"] for t in entry.changes["themes"][1]] == [["refund", "money back"], ["invoice"]]
    with db.unit_of_work() as session:
        visible = {t.name: t.volume for t in themes.list_themes(session)}
    assert visible["Billing"] == 1, "the comments of the split-off keywords moved to the new themes"
    assert sum(visible.values()) == 4 and len(visible) == 4
