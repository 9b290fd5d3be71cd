"""Alembic environment: one migration chain, PostgreSQL only. The URL comes from opex_app settings."""

from __future__ import annotations

from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import opex_app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from opex_app.db import database_url

target_metadata = SQLModel.metadata


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
