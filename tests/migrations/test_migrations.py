"""Upgrades are safe: the same history builds the schema on both databases, keeps rows, and matches the models."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from cxloop import migrations
from cxloop.collection import service as collection
from cxloop.core.config import Settings
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from cxloop.wiring import wire_domains
from tests.analytics.test_invitation_rollups import START, _random_change, snapshot
from tests.analytics.test_survey_responses import _responses
from tests.analytics.test_survey_responses import snapshot as response_days
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories.invitations import make_invitation
from tests.factories.surveys import every_kind_definition, make_survey


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (not even Alembic's)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails exactly like the other PostgreSQL tests
    name = f"cxloop_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _revisions() -> list[str]:
    """Revision ids from first to head."""
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_history_is_linear_and_files_sort_by_date() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    names = sorted(p.name for p in (Path(migrations.__file__).parent / "versions").glob("*.py"))
    order = [script.get_revision(r).module.__file__ for r in _revisions()]  # type: ignore[union-attr]
    assert [Path(p).name for p in order] == names


def test_upgrade_from_empty_matches_the_models(empty_url: str) -> None:
    migrations.upgrade(empty_url)
    migrations.check(empty_url)  # raises when a model changed without a migration
    engine = create_engine(empty_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_upgrade_from_the_first_migration_keeps_every_row(empty_url: str) -> None:
    first = _revisions()[0]
    migrations.upgrade(empty_url, first)
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (external_id, email, attributes, created_at, updated_at) "
                "VALUES ('c-1', 'ann@example.com', '{\"plan\": \"growth\"}', :t, :t)"
            ),
            {"t": "2026-01-02 03:04:05"},
        )
        conn.execute(
            text(
                "INSERT INTO surveys (key, name, status, default_locale, current_version, created_at, updated_at) "
                "VALUES ('nps', 'NPS', 'live', 'en', 1, :t, :t)"
            ),
            {"t": "2026-01-02 03:04:05"},
        )
        customer_id = conn.execute(text("SELECT id FROM customers")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO outcomes (customer_id, kind, occurred_on, note, created_at) "
                "VALUES (:c, 'churned', '2026-02-01', 'price', :t)"
            ),
            {"c": customer_id, "t": "2026-02-02 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO score_rollups (tz, metric, dim, dim_value, day, score, n) "
                "VALUES ('UTC', 'nps', 'all', '', 20000, 9, 3)"
            )
        )
    engine.dispose()

    migrations.upgrade(empty_url)  # what `cxloop init` does on an existing database

    engine = create_engine(empty_url)
    with engine.connect() as conn:
        customer = conn.execute(text("SELECT external_id, email FROM customers")).one()
        survey = conn.execute(text("SELECT key, status FROM surveys")).one()
        outcome = conn.execute(text("SELECT kind, note, source, external_id FROM outcomes")).one()
        rollup = conn.execute(text("SELECT day, score, n FROM score_rollups")).one()
    engine.dispose()
    assert tuple(customer) == ("c-1", "ann@example.com")
    assert tuple(survey) == ("nps", "live")
    assert tuple(outcome) == ("churned", "price", "api", None)
    assert tuple(rollup) == (20000, 9, 3)


def test_downgrade_one_step_and_back(empty_url: str) -> None:
    revisions = _revisions()
    migrations.upgrade(empty_url)
    if len(revisions) > 1:
        migrations.downgrade(empty_url, "-1")
    else:
        migrations.downgrade(empty_url, "base")
    migrations.upgrade(empty_url)
    migrations.check(empty_url)


def test_upgrade_to_head_one_revision_at_a_time(empty_url: str) -> None:
    """An installation stopped at any earlier revision reaches head with `cxloop init`: each revision is applied by
    an upgrade of its own, starting from the schema the previous one left (by induction, every earlier revision
    reaches head; `test_upgrade_from_empty_matches_the_models` runs the whole chain in one upgrade), and the result
    matches the models. One walk instead of an upgrade from empty per revision: O(n) migrations, not O(n^2)."""
    engine = create_engine(empty_url)
    try:
        for revision in _revisions():
            migrations.upgrade(empty_url, revision)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == revision
    finally:
        engine.dispose()
    migrations.check(empty_url)


def test_response_limits_consent_purposes_and_policy_keys_keep_what_existing_rows_meant(empty_url: str) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    before = script.get_revision("08a66bf01f76").down_revision  # the migration that replaced the boolean
    migrations.upgrade(empty_url, str(before))
    t = {"t": "2026-01-02 03:04:05"}
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        for key, multiple in (("once", False), ("many", True)):
            conn.execute(
                text(
                    "INSERT INTO surveys (key, name, status, default_locale, current_version, created_at, updated_at,"
                    " allow_multiple_responses) VALUES (:k, :k, 'live', 'en', 1, :t, :t, :m)"
                ),
                {"k": key, "m": multiple, **t},
            )
        conn.execute(
            text("INSERT INTO customers (external_id, attributes, created_at, updated_at) VALUES ('c', '{}', :t, :t)"),
            t,
        )
        customer_id = conn.execute(text("SELECT id FROM customers")).scalar_one()
        conn.execute(
            text("INSERT INTO consents (customer_id, channel, granted, changed_at) VALUES (:c, 'email', false, :t)"),
            {"c": customer_id, **t},
        )
        conn.execute(
            text(
                "INSERT INTO contact_policy (id, max_invitations, window_days, quiet_start, quiet_end, quiet_channels,"
                " default_timezone, sampling_rate, holdout_percent, updated_at)"
                " VALUES (1, 2, 21, '21:00', '08:00', '[\"sms\"]', 'UTC', 1.0, 0.0, :t)"
            ),
            t,
        )
    engine.dispose()

    migrations.upgrade(empty_url)

    engine = create_engine(empty_url)
    with engine.connect() as conn:
        limits = dict(conn.execute(text("SELECT key, response_limit FROM surveys")).all())
        stored = conn.execute(text("SELECT purpose, channel, granted FROM consents")).one()
        default = conn.execute(text("SELECT key, segment_filter, window_days FROM contact_policy")).one()
    engine.dispose()
    assert limits == {"once": "once", "many": "per_invitation"}
    assert tuple(stored) == ("*", "email", False)  # said before purposes existed: every purpose
    assert tuple(default) == ("default", None, 21)


def test_the_sla_clock_minutes_are_filled_for_existing_cases_in_the_team_hours(empty_url: str) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    migrations.upgrade(empty_url, str(script.get_revision("b7d1f5b9aee4").down_revision))
    t = "2026-11-27 15:00:00"  # a Friday, 16:00 in Paris
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        hours = '{"mon": ["09:00-18:00"], "tue": ["09:00-18:00"], "fri": ["09:00-18:00"]}'
        conn.execute(
            text(
                "INSERT INTO teams (key, name, timezone, business_hours, holidays, assignment, created_at)"
                " VALUES ('office', 'Office', 'Europe/Paris', :h, '[\"2026-11-30\"]', 'round_robin', :t)"
            ),
            {"h": hours, "t": t},
        )
        team = conn.execute(text("SELECT id FROM teams")).scalar_one()
        conn.execute(
            text("INSERT INTO customers (external_id, attributes, created_at, updated_at) VALUES ('c', '{}', :t, :t)"),
            {"t": t},
        )
        customer = conn.execute(text("SELECT id FROM customers")).scalar_one()
        stops = [("2026-12-01 09:00:00", "2026-12-01 10:00:00"), ("2026-11-27 16:00:00", None), (None, None)]
        for n, (acknowledged, closed) in enumerate(stops):
            conn.execute(
                text(
                    "INSERT INTO cases (customer_id, team_id, status, priority, title, tags, routing, created_at,"
                    " updated_at, acknowledged_at, closed_at, acknowledge_due_at, first_response_due_at,"
                    " close_due_at, reopened) VALUES (:c, :team, 'new', 'normal', :title, '[]', '{}', :t, :t, :a,"
                    " :z, :t, :t, :t, 0)"
                ),
                {"c": customer, "team": team, "title": f"case {n}", "t": t, "a": acknowledged, "z": closed},
            )
    engine.dispose()

    migrations.upgrade(empty_url)

    engine = create_engine(empty_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT acknowledge_minutes, close_minutes FROM cases ORDER BY id")).all()
    engine.dispose()
    # Friday 16:00-18:00, Monday a holiday, Tuesday 09:00 (10:00 in Paris) then one hour more; a case without either.
    assert [tuple(r) for r in stored] == [(180.0, 240.0), (60.0, None), (None, None)]


def test_the_invitation_rollups_and_survey_response_days_are_filled_as_the_writes_keep_them(empty_url: str) -> None:
    """Upgrading a database with invitations and responses fills the two tables (UTC) as writing would have."""
    wire_domains(Settings(environment="test"))  # zones: UTC, as the migration counts them
    migrations.upgrade(empty_url)
    db = Database(empty_url)
    rng = random.Random(3)
    for key in ("pulse", "echo"):
        make_survey(db, key=key, definition=every_kind_definition())
    with db.unit_of_work() as session:
        collection.record_responses(session, items=_responses(rng, 40))
        for hours in range(0, 200, 7):
            made = make_invitation(session, now=START + timedelta(hours=hours), channel=rng.choice(["email", "sms"]))
            _random_change(session, rng, made.invitation)
    with db.unit_of_work() as session:
        kept = snapshot(session), response_days(session)
    db.engine.dispose()
    assert kept[0] and kept[1]

    migrations.downgrade(empty_url, "-1")
    migrations.upgrade(empty_url)

    db = Database(empty_url)
    with db.unit_of_work() as session:
        assert (snapshot(session), response_days(session)) == kept
    db.engine.dispose()
