"""GET /api/v1/customers/{id}/timeline on both databases: every kind merged newest first, keyset pages without gaps
or duplicates (also across same-instant entries of different kinds), no answer links for viewers, agents limited to
their teams' cases, bad cursors refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cxloop.access.enums import Role
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.schemas import SYSTEM
from cxloop.cli import context
from cxloop.cli.main import app
from cxloop.customers.errors import CustomerNotFound
from cxloop.storage.database import Database
from tests.cases.test_api import key_for
from tests.cli_database import commands_on
from tests.conftest import make_key
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer, make_events
from tests.factories.invitations import make_invitation
from tests.factories.triggers import live_survey

TIE = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


def _world(api: TestClient, db: Database) -> dict[str, Any]:
    """A customer with two of every kind (responses, feedback and an event at the same instant TIE)."""
    with db.unit_of_work() as session:
        customer = make_customer(session, email="tl@example.com")
        other = make_customer(session)
        survey = live_survey(session)
        make_events(session, customer.external_id, "signed_up", [TIE - timedelta(days=30), TIE])
        make_events(session, other.external_id, "signed_up", [TIE])  # another customer's: never shown
        invited = make_invitation(session, survey_id=survey.id, customer=customer)
        make_invitation(session, survey_id=survey.id, customer=customer, channel="sms")  # suppressed: no SMS consent
        record_consent(session, customer.id, channel="sms", granted=True)
        record_consent(session, customer.id, channel="email", granted=False)
        lea, ann = make_user(session), make_user(session)
        theirs = make_team(session, members=[ann])
        mine = make_team(session, members=[lea])
        first, _ = open_case(session, customer.id, 1, team_id=theirs.id)
        ids = {"customer": customer.id, "survey": survey.key, "invitation": invited.invitation.id}
        ids |= {
            "lea": lea.id,
            "ann": ann.id,
            "case_theirs": first.id,
            "team_mine": mine.id,
            "ext": customer.external_id,
        }
    for at in (TIE, TIE - timedelta(days=2)):
        sent = api.post(
            "/api/v1/responses",
            json={
                "survey": ids["survey"],
                "nps": 9,
                "customer_external_id": ids["ext"],
                "submitted_at": at.isoformat(),
            },
        )
        assert sent.status_code == 201, sent.text
        item = {"kind": "review", "source": "g2", "channel": "review", "text": "Slow delivery", "rating": 2}
        sent = api.post(
            "/api/v1/feedback", json={**item, "customer_external_id": ids["ext"], "posted_at": at.isoformat()}
        )
        assert sent.status_code == 201, sent.text
    return ids


def _all_pages(client: TestClient, customer_id: int, limit: int, headers: dict[str, str] | None = None) -> list[Any]:
    entries: list[Any] = []
    cursor: str | None = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/customers/{customer_id}/timeline", params=params, headers=headers or {})
        assert page.status_code == 200, page.text
        entries += page.json()["items"]
        assert len(page.json()["items"]) <= limit
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return entries
    raise AssertionError("the pages never ended")


def _key(entry: dict[str, Any]) -> tuple[datetime, str, int]:
    return (datetime.fromisoformat(entry["at"]), entry["kind"], entry["id"])


def test_every_kind_newest_first_and_pages_without_gaps(api: TestClient, db: Database) -> None:
    ids = _world(api, db)
    whole = api.get(f"/api/v1/customers/{ids['customer']}/timeline", params={"limit": 500}).json()
    assert whole["next_cursor"] is None
    kinds = [entry["kind"] for entry in whole["items"]]
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "response": 2,
        "feedback": 2,
        "event": 2,
        "invitation": 2,
        "consent": 2,
        "case": 1,
    }
    keys = [_key(entry) for entry in whole["items"]]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    # Three kinds share the instant TIE: pages of every size cut through them without losing or repeating one.
    assert sum(1 for key in keys if key[0] == TIE) == 3
    for limit in (1, 2, 3, 5):
        assert [_key(entry) for entry in _all_pages(api, ids["customer"], limit)] == keys
    by_kind = {entry["kind"]: entry for entry in whole["items"]}
    assert by_kind["response"]["links"]["response_id"] >= 1 and "NPS 9" in by_kind["response"]["summary"]
    assert "Slow delivery" in by_kind["feedback"]["summary"]
    assert by_kind["case"]["links"] == {"case_id": ids["case_theirs"]}


def test_answer_links_only_for_agents_and_above(api: TestClient, db: Database) -> None:
    ids = _world(api, db)
    url = f"/api/v1/customers/{ids['customer']}/timeline"

    def invitation_links(headers: dict[str, str]) -> list[dict[str, Any]]:
        items = api.get(url, params={"limit": 500}, headers=headers).json()["items"]
        return [entry["links"] for entry in items if entry["kind"] == "invitation"]

    as_admin = invitation_links({})
    scheduled = next(links for links in as_admin if links["invitation_id"] == ids["invitation"])
    assert scheduled["url"].startswith("http") and "/s/" in scheduled["url"]
    assert sum("url" in links for links in as_admin) == 1  # the suppressed one has no link
    as_viewer = invitation_links(make_key(db, Role.viewer))
    assert len(as_viewer) == 2 and all("url" not in links for links in as_viewer)
    assert "/s/" not in api.get(url, params={"limit": 500}, headers=make_key(db, Role.viewer)).text


def test_agents_see_only_their_teams_cases(api: TestClient, db: Database) -> None:
    ids = _world(api, db)
    with db.unit_of_work() as session:
        # The first case is closed, so the customer can have another, in lea's team.
        cases.transition(session, case_id=ids["case_theirs"], action=CaseAction.close, actor=SYSTEM)
        mine, created = open_case(session, ids["customer"], 2, team_id=ids["team_mine"])
    assert created
    url = f"/api/v1/customers/{ids['customer']}/timeline"

    def case_ids(headers: dict[str, str]) -> set[int]:
        items = api.get(url, params={"limit": 500}, headers=headers).json()["items"]
        return {entry["id"] for entry in items if entry["kind"] == "case"}

    seen_by_lea = case_ids(key_for(db, ids["lea"]))
    assert ids["case_theirs"] not in seen_by_lea
    assert seen_by_lea == {mine.id}
    assert case_ids(key_for(db, ids["ann"])) == {ids["case_theirs"]}
    assert ids["case_theirs"] in case_ids({})  # an admin sees every case


def test_bad_cursor_and_unknown_customer(api: TestClient, db: Database) -> None:
    ids = _world(api, db)
    for cursor in ("nonsense", "W10", "WyJ4IiwiY2FzZSIsMV0"):
        bad = api.get(f"/api/v1/customers/{ids['customer']}/timeline", params={"cursor": cursor})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor", bad.text
    assert api.get("/api/v1/customers/999999/timeline").status_code == 404
    assert api.get(f"/api/v1/customers/{ids['customer']}/timeline", params={"limit": 0}).status_code == 422


def test_the_cli_pages_the_same_timeline(api: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _world(api, db)
    expected = api.get(f"/api/v1/customers/{ids['customer']}/timeline", params={"limit": 500}).json()["items"]
    runner = CliRunner()
    monkeypatch.setattr(context.console, "_width", 300)  # one table row a line (restored to unset)
    seen: list[dict[str, Any]] = []
    cursor: list[str] = []
    with commands_on(db.url, monkeypatch):
        for _ in range(10):
            done = runner.invoke(
                app, ["customers", "timeline", str(ids["customer"]), "--limit", "4", "--json", *cursor]
            )
            assert done.exit_code == 0, done.output
            seen += [orjson.loads(line) for line in done.stdout.splitlines()]
            if "next: --cursor" not in done.stderr:
                break
            cursor = ["--cursor", done.stderr.split("--cursor ")[1].strip()]
        table = runner.invoke(app, ["customers", "timeline", str(ids["customer"])])
        missing = runner.invoke(app, ["customers", "timeline", "999999"])
    assert [(e["kind"], e["id"]) for e in seen] == [(e["kind"], e["id"]) for e in expected]
    assert table.exit_code == 0 and "Slow delivery" in table.stdout and "signed_up" in table.stdout
    assert isinstance(missing.exception, CustomerNotFound) and "999999" in str(missing.exception)
