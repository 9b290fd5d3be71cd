"""The engine's pool works behind PgBouncer in transaction mode: no server-side prepared statements however often
a statement runs, pool sizes from the settings, a ping before each checkout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import QueuePool, text

from opex_app.db import engine_for, get_engine, psycopg_connection, read_session, reset_engine
from opex_app.settings import get_settings


@pytest.fixture()
def pool_settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPEX_DB_POOL_SIZE", "3")
    monkeypatch.setenv("OPEX_DB_MAX_OVERFLOW", "4")
    monkeypatch.setenv("OPEX_DB_POOL_TIMEOUT", "7.5")
    get_settings.cache_clear()
    reset_engine()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_engine()


def test_pool_sizes_come_from_the_settings(pool_settings: None, database_url: str) -> None:
    for engine in (get_engine(), engine_for(database_url)):
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow, pool._timeout, pool._pre_ping) == (3, 4, 7.5, True)


def test_no_statement_is_ever_prepared_on_the_server(database_url: str) -> None:
    """psycopg would PREPARE a statement run five times on one connection; behind PgBouncer the next
    transaction may land on a server connection that never saw it."""
    with read_session() as session:
        assert psycopg_connection(session).prepare_threshold is None
        for _ in range(10):
            session.execute(text("SELECT count(*) FROM tower WHERE name <> :name"), {"name": "x"}).scalar_one()
        prepared = session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
    assert prepared == 0
