"""Dashboard cards within filters the rollups cannot answer (web/cards.py through web/overview.py `score_card` and
`grouped`; TestClient on the real app, SQLite and PostgreSQL): read from the same stored analyses as the overview,
equal to the live computation, shown with their time, or a panel HTMX polls while the worker computes them; the
cards the rollups answer stay live."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.analytics.enums import GroupKey
from cxloop.dashboards import service as dashboards
from cxloop.storage.database import Database
from tests.factories.cases import make_team
from tests.web.conftest import run_queued, signed_in_client
from tests.web.test_dashboards import MARCH
from tests.web.test_overview_stored import _answers, _comparisons, _live, _stored

# (kind, filters over March): the first four need raw rows (a breakdown within another dimension, two filters);
# the last one the rollups answer.
CARDS = (
    ("by_segment", {"channel": "sms"}),
    ("by_stage", {"segment": "retail"}),
    ("metric", {"segment": "smb", "channel": "sms"}),
    ("trend", {"segment": "smb", "channel": "sms"}),
    ("by_channel", {}),
)


def _board(db: Database, cards: tuple[tuple[str, dict[str, str]], ...] = CARDS) -> int:
    with db.unit_of_work() as session:
        board = dashboards.create_dashboard(session, team_id=make_team(session).id, name="Weekly")
        for kind, filters in cards:
            dashboards.add_card(session, dashboard_id=board.id, kind=kind, title=kind, filters={**MARCH, **filters})
        return board.id


def test_cards_within_filters_read_the_stored_analyses_and_equal_the_live_ones(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.analyst)
    _answers(db)
    url = f"/dashboards/{_board(db)}"
    page = large.get(url)
    assert page.status_code == 200
    assert page.text.count("is being computed") == 4 and len(queued) == 4
    ids = [int(i) for i in re.findall(r'data-card="(\d+)"', page.text)]
    for card_id in ids[:4]:
        assert f'hx-select="#card-{card_id}-result"' in page.text
    assert f'<div id="card-{ids[4]}-result">' in page.text  # by channel, unfiltered: live from the rollups

    run_queued(db, queued)
    ready = large.get(url)
    assert ready.status_code == 200 and "is being computed" not in ready.text and not queued
    assert ready.text.count("As of") == 4 and f'name="back" value="{url}"' in ready.text
    assert _stored(db, GroupKey.segment, channel="sms") == _live(db, GroupKey.segment, channel="sms")
    assert _stored(db, GroupKey.stage, segment="retail") == _live(db, GroupKey.stage, segment="retail")
    assert _stored(db, GroupKey.day, segment="smb", channel="sms") == _live(
        db, GroupKey.day, segment="smb", channel="sms"
    )
    stored, live = _comparisons(db, segment="smb", channel="sms")
    assert stored == live and stored.current.n == 65
    words = " ".join(ready.text.split())
    assert "n = 65" in words and "nothing to compare with" in words and 'id="card-' in words
    for group in _stored(db, GroupKey.segment, channel="sms").groups:
        assert f">{group.n}<" in ready.text

    printed = large.get(f"{url}/print")
    assert printed.status_code == 200 and printed.text.count("As of") == 4
    assert "Refresh now" not in printed.text and "is being computed" not in printed.text


def test_the_dashboard_wide_filter_reads_stored_cards_and_a_bad_one_queues_nothing(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.viewer)
    _answers(db)
    board_id = _board(db, (("by_segment", {}), ("metric", {})))
    url = f"/dashboards/{board_id}?channel=web"
    # Within the board's channel: the breakdown by segment reads raw rows, the score (one filter) the rollups.
    assert large.get(url).text.count("is being computed") == 1 and len(queued) == 1
    run_queued(db, queued)
    ready = large.get(url).text
    assert ready.count("As of") == 1 and "Refresh now" not in ready  # viewers read; analysts refresh
    assert _stored(db, GroupKey.segment, channel="web") == _live(db, GroupKey.segment, channel="web")

    gone = large.get(f"/dashboards/{board_id}?channel=web&segment=nope")
    assert gone.status_code == 200 and "This card cannot be shown: segment" in gone.text and not queued


def test_a_small_organisation_computes_the_cards_in_the_request(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    _answers(db)
    page = client.get(f"/dashboards/{_board(db)}")
    assert page.status_code == 200 and "is being computed" not in page.text and page.text.count("As of") == 4
    assert _stored(db, GroupKey.stage, segment="retail") == _live(db, GroupKey.stage, segment="retail")
