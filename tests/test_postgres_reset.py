"""The PostgreSQL reset between tests leaves every table empty and every sequence at its start, however it was
filled: a few rows, many rows (truncated), a table the models do not know, rows whose children point at them; the
seeded tables (the default journey) come back as saved, with their ids continuing after them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, insert, select, text
from sqlalchemy.exc import OperationalError

from cxloop.customers.models import Account, Customer
from cxloop.journeys.models import Journey, Stage
from cxloop.migrations.metadata import metadata
from tests import postgres_reset
from tests.factories.responses import NOW


@pytest.fixture(autouse=True)
def _seeded_afterwards(postgres_url: str) -> Iterator[None]:
    """These tests empty the run's database without its seed: put the seed back for the tests that follow."""
    yield
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        postgres_reset.reset(connection, postgres_reset.reset_statement(metadata, seeded=postgres_reset.SEEDED_TABLES))
    engine.dispose()


def _fill(connection: Connection, *, customers: int) -> None:
    connection.execute(insert(Account), [{"external_id": "acme", "name": "Acme", "created_at": NOW, "updated_at": NOW}])
    account_id = connection.execute(select(Account.id)).scalar_one()
    rows = [
        {"external_id": f"c{i}", "account_id": account_id, "attributes": {}, "created_at": NOW, "updated_at": NOW}
        for i in range(customers)
    ]
    connection.execute(insert(Customer), rows)
    connection.execute(text("CREATE TABLE IF NOT EXISTS unmodelled (id serial PRIMARY KEY, note text)"))
    connection.execute(text("INSERT INTO unmodelled (note) VALUES ('left over')"))
    connection.commit()


def _row_counts(connection: Connection) -> dict[str, int]:
    names = [t.name for t in metadata.sorted_tables] + ["unmodelled"]
    return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


@pytest.mark.parametrize("customers", [3, postgres_reset.TRUNCATE_FROM_ROWS + 1])
def test_reset_empties_every_table_and_restarts_ids(postgres_url: str, customers: int) -> None:
    engine = create_engine(postgres_url)
    statement = postgres_reset.reset_statement(metadata)
    with engine.connect() as connection:
        _fill(connection, customers=customers)
        assert connection.execute(select(Customer.id).order_by(Customer.id.desc())).scalars().first() == customers

        postgres_reset.reset(connection, statement)

        assert set(_row_counts(connection).values()) == {0}
        _fill(connection, customers=2)
        assert connection.execute(select(Account.id)).scalar_one() == 1
        assert connection.execute(select(Customer.id).order_by(Customer.id)).scalars().all() == [1, 2]
        assert connection.execute(text("SELECT id FROM unmodelled")).scalar_one() == 1
        connection.execute(text("DROP TABLE unmodelled"))
        postgres_reset.reset(connection, statement)
    engine.dispose()


def test_a_reset_that_cannot_get_its_locks_fails_and_the_next_one_works(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    statement = postgres_reset.reset_statement(metadata)
    with engine.connect() as cleaner, engine.connect() as holder:
        _fill(cleaner, customers=1)
        cleaner.execute(text("SET lock_timeout = '100ms'"))
        holder.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))  # a test left its transaction open
        with pytest.raises(OperationalError, match="lock timeout"):
            postgres_reset.reset(cleaner, statement)
        holder.rollback()
        postgres_reset.reset(cleaner, statement)
        assert set(_row_counts(cleaner).values()) == {0}
        cleaner.execute(text("DROP TABLE unmodelled"))
        cleaner.commit()
    engine.dispose()


def test_a_seeded_reset_restores_the_seed_and_ids_continue_after_it(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    seeded = postgres_reset.reset_statement(metadata, seeded=postgres_reset.SEEDED_TABLES)
    with engine.connect() as connection:
        postgres_reset.reset(connection, seeded)
        saved = connection.execute(select(Stage.id, Stage.key).order_by(Stage.id)).all()
        assert len(saved) == 5 and connection.execute(select(Journey.is_default)).scalars().all() == [True]
        connection.execute(text("UPDATE stages SET name = 'renamed'"))
        connection.execute(text("DELETE FROM touchpoints"))
        _fill(connection, customers=2)

        postgres_reset.reset(connection, seeded)

        assert connection.execute(select(Stage.id, Stage.key).order_by(Stage.id)).all() == saved
        assert "renamed" not in connection.execute(select(Stage.name)).scalars().all()
        assert connection.execute(text("SELECT count(*) FROM touchpoints")).scalar_one() == 8
        assert connection.execute(text("SELECT count(*) FROM customers")).scalar_one() == 0
        new_id = connection.execute(
            insert(Journey).values(key="other", name="Other", description="", is_default=False).returning(Journey.id)
        ).scalar_one()
        assert new_id == 2
        connection.execute(text("DROP TABLE unmodelled"))
        connection.commit()
    engine.dispose()
