"""The database triggers that keep audit entries append-only, for both dialects.

PostgreSQL: UPDATE is refused; DELETE and TRUNCATE only pass in a transaction that ran
`SET LOCAL cxloop.retention = 'on'` (only `service.purge_older_than` does).
SQLite has no session variables: UPDATE is refused; DELETE passes only while `audit_purge_guard` has a row, which
the purge inserts and deletes inside its own transaction (SQLite has one writer, so no one else sees it).
Installed by the migration and, for schemas made with `create_all` (tests), by an `after_create` listener.
"""

from __future__ import annotations

from sqlalchemy import Connection

RETENTION_SETTING = "cxloop.retention"

POSTGRESQL = (
    f"""
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('{RETENTION_SETTING}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'audit entries are append-only (' || TG_OP || ' refused; only retention deletes them)';
END
$$
""",
    """
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
""",
    """
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
""",
)

SQLITE = (
    """
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (UPDATE refused)'); END
""",
    """
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_guard)
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (DELETE refused; only retention deletes them)'); END
""",
)

DROP_POSTGRESQL = (
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_append_only()",
)
DROP_SQLITE = ("DROP TRIGGER IF EXISTS audit_entries_no_delete", "DROP TRIGGER IF EXISTS audit_entries_no_update")


def statements(dialect: str, *, drop: bool = False) -> tuple[str, ...]:
    """The statements that install (or drop) the triggers on `dialect`; none for other dialects."""
    if dialect == "postgresql":
        return DROP_POSTGRESQL if drop else POSTGRESQL
    if dialect == "sqlite":
        return DROP_SQLITE if drop else SQLITE
    return ()


def install(connection: Connection) -> None:
    """Create the triggers on the connection's database (the audit tables exist already)."""
    for statement in statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
