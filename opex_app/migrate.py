"""Apply the alembic migration chain (used by `cli db upgrade`, `make run` and the test fixtures)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from opex_app.settings import PROJECT_ROOT


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
