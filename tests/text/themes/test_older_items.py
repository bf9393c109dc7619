"""Items older than a discovery run's sample get the new themes too: matched the way the worker matches new comments,
in batches with no transaction open, the counts exact, the same themes (and theme ids) on a re-run, and a run
interrupted while matching carried on by the worker's sweep to the same result. Both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, select, update

from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.text.themes import rematch, runs
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.models import ThemeAssignment, ThemeRun
from tests.text.themes.conftest import add_survey, discover, run_queued, store_topics

SAMPLE = 40  # the newest 40 responses are the sample; the 80 before them are older items


def _store_rounds(db: Database, rounds: int = 3) -> dict[int, str]:
    """Rounds of 10 comments on each of the four topics, so the newest 40 hold every topic and so do the older."""
    topics: dict[int, str] = {}
    for seed in range(rounds):
        topics |= store_topics(db, 10, seed=seed)
    return topics


def _assignments(db: Database) -> dict[int, set[tuple[int, bool]]]:
    """Response id -> {(theme id, primary)}: every response's themes as stored."""
    found: dict[int, set[tuple[int, bool]]] = {}
    with db.unit_of_work() as session:
        rows = session.execute(
            select(ThemeAssignment.item_id, ThemeAssignment.theme_id, ThemeAssignment.is_primary).where(
                ThemeAssignment.item_kind == ItemKind.response.value
            )
        )
        for item_id, theme_id, primary in rows:
            found.setdefault(int(item_id), set()).add((int(theme_id), bool(primary)))
    return found


def _primary_by_topic(assigned: dict[int, set[tuple[int, bool]]], topics: dict[int, str]) -> dict[str, set[int]]:
    by_topic: dict[str, set[int]] = {}
    for response_id, topic in topics.items():
        by_topic.setdefault(topic, set()).update(t for t, primary in assigned.get(response_id, set()) if primary)
    return by_topic


def test_older_items_get_the_new_themes_and_keep_them_across_reruns(db: Database) -> None:
    add_survey(db)
    topics = _store_rounds(db)
    sample = sorted(topics)[-SAMPLE:]
    run = discover(db, limit=SAMPLE)
    assert (run.status, run.items, run.themes_found, run.details["rematched"]) == ("done", 40, 4, 80)
    assert rematch.PLAN not in run.details and run.finished_at is not None
    first = _assignments(db)
    assert set(first) == set(topics)  # every response, whatever its age, carries a theme
    by_topic = _primary_by_topic(first, topics)
    assert all(len(ids) == 1 for ids in by_topic.values()) and len({i for v in by_topic.values() for i in v}) == 4
    # the older items' primary theme is the one the sample's items of their topic were clustered into
    sample_topics = _primary_by_topic(first, {i: topics[i] for i in sample})
    assert sample_topics == by_topic
    with db.unit_of_work() as session:
        listed = themes.list_themes(session)
    assert sorted((t.volume, t.primary_volume, t.share) for t in listed) == [(30, 30, 25.0)] * 4  # counts exact

    again = discover(db, limit=SAMPLE)
    assert (again.kept, again.created, again.retired, again.details["rematched"]) == (4, 0, 0, 80)
    assert _assignments(db) == first  # same themes, same ids, old and new items alike


def test_an_interrupted_run_is_carried_on_to_the_same_themes_and_matching_holds_no_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_survey(db)
    topics = _store_rounds(db)
    discover(db, limit=SAMPLE)
    expected = _assignments(db)
    with db.unit_of_work(write=True) as session:  # no primary theme left: the run must set them all again
        session.execute(update(ThemeAssignment).values(is_primary=False))
    monkeypatch.setattr(rematch, "BATCH", 25)  # 80 older items: four batches
    state = {"open": 0}
    seen: list[int] = []
    matching = themes.match

    def match(*args: Any, **kwargs: Any) -> themes.Matched:
        seen.append(state["open"])
        return matching(*args, **kwargs)

    monkeypatch.setattr(themes, "match", match)

    def begin(_: Connection) -> None:
        state["open"] += 1

    def end(_: Connection) -> None:
        state["open"] -= 1

    def interrupt(done: int, total: int) -> None:
        assert total == 80
        if done == 50:  # two batches stored: the process is killed
            raise KeyboardInterrupt

    with db.unit_of_work(write=True) as session:
        run_id = runs.start_discovery(session, limit=SAMPLE, embedder="lsa").id
    listeners: tuple[tuple[str, Callable[[Connection], None]], ...] = (
        ("begin", begin),
        ("commit", end),
        ("rollback", end),
    )
    for name, listener in listeners:
        event.listen(Engine, name, listener)
    try:
        with pytest.raises(KeyboardInterrupt):
            runs.execute(db, run_id=run_id, counted=interrupt)
    finally:
        for name, listener in listeners:
            event.remove(Engine, name, listener)
    assert seen == [0, 0]  # each batch matched with no transaction open
    with db.unit_of_work() as session:
        stopped = session.get_one(ThemeRun, run_id)
        assert stopped.status == "running" and stopped.details["rematched"] == 50
        assert rematch.remaining(session, run=stopped) == 30
    run_queued(db)  # its lease is live: left alone
    with db.unit_of_work(write=True) as session:  # the lease runs out: the worker's sweep carries the run on
        session.execute(update(ThemeRun).values(lease_until=utcnow() - timedelta(seconds=1)))
    run_queued(db)
    with db.unit_of_work() as session:
        done = runs.get_run(session, run_id=run_id)
    assert (done.status, done.items, done.details["rematched"]) == ("done", 40, 80)
    assert len(seen) == 4  # only the two batches left were matched again; discovery was not re-run
    assert _assignments(db) == expected and set(expected) == set(topics)


def test_comments_arriving_while_the_run_clusters_get_its_themes(db: Database) -> None:
    add_survey(db)
    topics = _store_rounds(db, rounds=2)
    arrived: dict[int, str] = {}

    def step(what: str) -> None:
        if what == "clustering":  # after the sample was read: these are newer than it
            arrived.update(store_topics(db, 5, seed=9))

    with db.unit_of_work(write=True) as session:
        run_id = runs.start_discovery(session, limit=SAMPLE, embedder="lsa").id
    run = runs.execute(db, run_id=run_id, progress=step)
    assert run is not None and run.status == "done" and run.details["rematched"] == 40 + 20
    assigned = _assignments(db)
    assert set(assigned) == set(topics) | set(arrived) and min(arrived) > max(topics)
    assert _primary_by_topic(assigned, arrived) == _primary_by_topic(assigned, topics)
