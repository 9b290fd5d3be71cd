"""Test fixtures: a fresh PostgreSQL database per test run, on the server named by TEST_DATABASE_URL
(CI sets it to the machine's server) or else on an embedded server in a temporary folder.

Service tests get a `session` whose work is rolled back after each test, so they can run in any order.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Imports read files in process in the tests (a subprocess per import would cost a second each); the bounded
# subprocess read has its own tests (tests/services/test_bounded_read.py), which switch it on.
os.environ.setdefault("OPEX_IMPORT_ISOLATED", "false")


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _server_url() -> tuple[str, tempfile.TemporaryDirectory | None]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return configured, None
    from opex_app.db import start_embedded_postgres

    tmp = tempfile.TemporaryDirectory(prefix="opex-test-pg-")
    url = start_embedded_postgres(Path(tmp.name) / "pg", database="postgres")
    return url, tmp


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """URL of a database created for this test run, migrated to head, dropped at the end."""
    server_url, tmp = _server_url()
    name = f"opex_test_{uuid.uuid4().hex[:10]}"
    admin = _psycopg_url(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    from opex_app.db import reset_engine
    from opex_app.migrate import upgrade
    from opex_app.settings import get_settings

    get_settings.cache_clear()
    reset_engine()
    upgrade(url)
    try:
        yield url
    finally:
        reset_engine()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if tmp is not None:
            from opex_app.db import stop_embedded_postgres

            stop_embedded_postgres(Path(tmp.name) / "pg")
            tmp.cleanup()


@contextmanager
def migrated_database(database_url: str, kind: str) -> Iterator[str]:
    """URL of a new database beside `database_url`, migrated to head, dropped when the block ends."""
    from opex_app.migrate import upgrade

    url = make_url(database_url)
    name = f"{url.database}_{kind}_{uuid.uuid4().hex[:6]}"
    admin = _psycopg_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    created = url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(created)
        yield created
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def scratch_database_url(database_url: str) -> Iterator[str]:
    """A second, freshly migrated database for a test whose commits must not reach the others (demo data
    commits FX rates and POs that other tests would then see). Dropped at the end."""
    with migrated_database(database_url, "scratch") as scratch:
        yield scratch


@pytest.fixture()
def session(database_url: str) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test (commits become savepoints)."""
    from opex_app.db import get_engine

    connection = get_engine().connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


def make_principal(session: Session, role: str, email: str | None = None):
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.models import AppUser
    from opex_app.services.sessions import principal_of
    from opex_app.services.users import create_user

    created = create_user(
        session,
        cli_principal(),
        email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.com",
        role=RoleName.parse(role),
        password="correct horse battery",
    )
    return principal_of(session, session.get(AppUser, created.user_id))


@pytest.fixture()
def admin(session: Session):
    return make_principal(session, "admin")


@pytest.fixture()
def analyst(session: Session):
    return make_principal(session, "analyst")


@pytest.fixture()
def viewer(session: Session):
    return make_principal(session, "viewer")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last (a stable sort keeps every other order): the app they drive commits logins, lines
    and merges into the run's database, and Playwright's sync API leaves an event loop running in this thread,
    where a later test's asyncio.run() would refuse to start."""
    items.sort(key=lambda item: "e2e" in item.path.parts)
