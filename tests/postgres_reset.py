"""Empty a PostgreSQL test database between tests in one round trip.

`TRUNCATE` of every table gives each table and index a new file, which costs ~70 ms on an idle machine and 0.5-1 s
on a busy one. Most tests write to a handful of tables, so `reset` deletes only from the tables that have rows
(children first, so foreign keys hold) and rewinds only the sequences that moved, with `setval`, which changes the
sequence in place. A table with many rows is truncated instead, where that is cheaper than deleting row by row.

Rows every test starts with (the default journey) are kept in a seed schema (`save_seed`) and copied back in the same
round trip, with their tables' sequences set past them: cheaper than writing them again through the ORM per test.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, MetaData, text

# Above this many rows a table is truncated (constant cost) rather than deleted from (cost per row).
TRUNCATE_FROM_ROWS = 5_000

SEED_SCHEMA = "cxloop_seed"
# What every test starts with: the default journey (the SQLite template holds it too).
SEEDED_TABLES = ("journeys", "stages", "touchpoints")


def save_seed(connection: Connection, tables: Sequence[str]) -> None:
    """Copy `tables` as they are now into the seed schema, for `reset_statement(..., seeded=tables)` to restore."""
    connection.execute(text(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE"))
    connection.execute(text(f"CREATE SCHEMA {SEED_SCHEMA}"))
    for table in tables:
        connection.execute(text(f'CREATE TABLE {SEED_SCHEMA}."{table}" AS TABLE "{table}"'))
    connection.commit()


def reset_statement(metadata: MetaData, *, seeded: Sequence[str] = ()) -> str:
    """One DO block that empties every table of the current schema and restarts its sequences, then copies the rows
    of the `seeded` tables (parents first) back from the seed schema."""
    children_first = ", ".join(f"'{table.name}'" for table in reversed(metadata.sorted_tables))
    parents_first = [table.name for table in metadata.sorted_tables if table.name in seeded]
    restore = "".join(
        f"""
    INSERT INTO "{name}" SELECT * FROM {SEED_SCHEMA}."{name}";
    PERFORM setval(pg_get_serial_sequence('"{name}"', 'id'), (SELECT max(id) FROM "{name}"));"""
        for name in parents_first
    )
    count_up_to_limit = f"SELECT count(*) FROM (SELECT 1 FROM %I LIMIT {TRUNCATE_FROM_ROWS + 1}) s"
    return f"""
DO $reset$
DECLARE
    ordered text[] := ARRAY[{children_first}]::text[];
    name text;
    found_rows bigint;
    big text[] := ARRAY[]::text[];
    filled text[] := ARRAY[]::text[];
    seq record;
BEGIN
    -- Tables the models do not know (e.g. alembic_version) count as big: their foreign keys are unknown here.
    FOR name IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
        ORDER BY array_position(ordered, c.relname::text) NULLS FIRST
    LOOP
        EXECUTE format('{count_up_to_limit}', name) INTO found_rows;
        IF found_rows > {TRUNCATE_FROM_ROWS} OR (found_rows > 0 AND NOT name = ANY(ordered)) THEN
            big := big || name;
        ELSIF found_rows > 0 THEN
            filled := filled || name;
        END IF;
    END LOOP;
    IF cardinality(big) > 0 THEN
        EXECUTE 'TRUNCATE ' || (SELECT string_agg(format('%I', b), ', ') FROM unnest(big) b) || ' CASCADE';
    END IF;
    FOREACH name IN ARRAY filled LOOP
        EXECUTE format('DELETE FROM %I', name);
    END LOOP;
    FOR seq IN
        SELECT schemaname, sequencename, start_value FROM pg_sequences
        WHERE schemaname = current_schema() AND last_value IS NOT NULL
    LOOP
        PERFORM setval(format('%I.%I', seq.schemaname, seq.sequencename), seq.start_value, false);
    END LOOP;{restore}
END
$reset$
"""


def reset(connection: Connection, statement: str) -> None:
    """Run `reset_statement` and commit; on failure roll back, so the connection serves the next test."""
    try:
        connection.execute(text(statement))
        connection.commit()
    except Exception:
        connection.rollback()
        raise
