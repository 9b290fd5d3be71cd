"""The migration chain and the SQLModel tables describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import opex_app.models  # noqa: F401  (registers the tables)
from opex_app.db import get_engine


def test_models_match_the_migrated_database(database_url: str) -> None:
    with get_engine().connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
