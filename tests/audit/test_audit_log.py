"""The audit log's service on both databases: same transaction as the change, append-only, purge, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from cxloop.audit import service as audit
from cxloop.audit.changes import MAX_BYTES, REDACTED, clean, diff
from cxloop.audit.enums import ActorKind, AuditAction
from cxloop.audit.models import AuditEntry
from cxloop.audit.schemas import AuditActor
from cxloop.core.errors import InvalidInput
from cxloop.storage.database import Database

ADMIN = AuditActor(kind=ActorKind.api_key, id="7", name="ops", role="admin", ip="203.0.113.9", user_agent="curl/8")


def _actions(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return [e.action for e in audit.list_entries(session).items]


def test_an_entry_lives_and_dies_with_the_transaction_of_its_change(db: Database) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work(write=True) as session:
        audit.record(session, actor=ADMIN, action=AuditAction.survey_published, target_id=1)
        raise RuntimeError("the change failed")
    assert _actions(db) == []
    with db.unit_of_work(write=True) as session:
        audit.record(
            session,
            actor=ADMIN,
            action=AuditAction.survey_published,
            target_id=1,
            changes={"status": ["draft", "live"]},
        )
    with db.unit_of_work() as session:
        [entry] = audit.list_entries(session).items
    assert (entry.action, entry.target_type, entry.target_id) == ("survey.published", "survey", "1")
    assert (entry.actor, entry.actor_name, entry.actor_role, entry.ip, entry.user_agent) == (
        "api_key:7",
        "ops",
        "admin",
        "203.0.113.9",
        "curl/8",
    )
    assert entry.changes == {"status": ["draft", "live"]}


def test_entries_refuse_update_and_delete_outside_retention(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        audit.record(session, actor=ADMIN, action=AuditAction.api_key_created, target_id=3)
    for statement in (update(AuditEntry).values(action="api_key.revoked"), delete(AuditEntry)):
        with pytest.raises(DatabaseError, match="append-only"), db.unit_of_work(write=True) as session:
            session.execute(statement)
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), db.unit_of_work(write=True) as session:
            session.execute(text("TRUNCATE audit_entries"))
    assert _actions(db) == ["api_key.created"]


def test_only_the_retention_purge_deletes_and_it_leaves_a_trace(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        old = audit.record(session, actor=ADMIN, action=AuditAction.api_key_created, target_id=1)
        audit.record(session, actor=ADMIN, action=AuditAction.api_key_revoked, target_id=1)
    cutoff = old.at + timedelta(microseconds=1)
    with db.unit_of_work(write=True) as session:
        assert audit.purge_older_than(session, cutoff=cutoff) >= 1
    with db.unit_of_work() as session:
        entries = audit.list_entries(session).items
    assert entries[0].action == "audit.purged" and entries[0].actor == "system:retention"
    assert entries[0].changes["deleted"] >= 1
    # The switch is off again after the purge, in the same and in later transactions.
    with pytest.raises(DatabaseError, match="append-only"), db.unit_of_work(write=True) as session:
        session.execute(delete(AuditEntry))
    with db.unit_of_work() as session:
        assert session.scalar(text("SELECT count(*) FROM audit_purge_guard")) == 0


def test_credentials_never_reach_the_log_and_changes_are_bounded() -> None:
    cleaned = clean(
        {
            "name": "x",
            "password": "hunter2hunter2",
            "nested": [{"digest": "ab", "api_token": "t"}],
            "plain_key": "cxk_1",
        }
    )
    assert cleaned == {
        "name": "x",
        "password": REDACTED,
        "nested": [{"digest": REDACTED, "api_token": REDACTED}],
        "plain_key": REDACTED,
    }
    assert clean({"survey_key": "nps"}) == {"survey_key": "nps"}  # a survey's key is no credential
    big = clean({"definition": "x" * (MAX_BYTES + 1)})
    assert big == {"truncated": True, "fields": ["definition"]}
    assert diff({"a": 1, "b": datetime(2026, 1, 1, tzinfo=UTC)}, {"a": 2, "b": datetime(2026, 1, 1, tzinfo=UTC)}) == {
        "a": [1, 2]
    }


def test_filters_and_the_cursor_walk_every_entry_once(db: Database) -> None:
    cli = AuditActor.cli()
    with db.unit_of_work(write=True) as session:
        for n in range(5):
            audit.record(session, actor=ADMIN if n % 2 else cli, action=AuditAction.trigger_rule_updated, target_id=n)
        audit.record(session, actor=ADMIN, action=AuditAction.contact_policy_changed, target_id=1)
    with db.unit_of_work() as session:
        seen, cursor = [], None
        while True:
            page = audit.list_entries(session, action=AuditAction.trigger_rule_updated, cursor=cursor, limit=2)
            seen += [e.target_id for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == ["4", "3", "2", "1", "0"]
        assert [e.target_id for e in audit.list_entries(session, actor="api_key:7").items] == ["1", "3", "1"]
        assert len(audit.list_entries(session, actor=f"cli:{cli.id}").items) == 3
        assert audit.list_entries(session, target_type="contact_policy").items[0].action == "contact_policy.changed"
        future = datetime.now(UTC) + timedelta(days=1)
        assert audit.list_entries(session, since=future).items == []
        with pytest.raises(InvalidInput) as bad:
            audit.list_entries(session, since=datetime(2026, 1, 1), actor="root")  # noqa: DTZ001
        assert bad.value.errors[0].field == "since"
        with pytest.raises(InvalidInput) as bad_actor:
            audit.list_entries(session, actor="root:1")
        assert bad_actor.value.errors[0].field == "actor"


def test_every_action_names_its_target_type() -> None:
    assert all(action.target_type and "." in action.value for action in AuditAction)
    assert len({a.value for a in AuditAction}) == len(AuditAction)
