"""The data version: reading figures at an exact version, and each worker's one watcher of its changes.

Every statement that writes a table a figure reads bumps `data_version` in its own transaction and NOTIFYs
`opex_data_version` (migration 0006). Two consumers build on that:

- `versioned_read(fn)` runs `fn` in one REPEATABLE READ, READ ONLY transaction and reads the version in that
  same snapshot, so the value returned is exactly the data of the version returned: the cache keys on it.
- `watcher()`: one `VersionWatcher` per process that holds ONE connection to the primary (LISTEN, with a
  once-a-second poll of the version as safety net and as fallback) and wakes every coroutine and callback that
  waits for a change. Open dashboards await `wait_for_change` and never touch the database themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Literal, TypeVar

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from opex_app.db import database_url, engine_for, get_engine, normalise_url
from opex_app.models.analytics import DATA_VERSION_CHANNEL
from opex_app.settings import get_settings

T = TypeVar("T")
log = logging.getLogger(__name__)

VERSION_SQL = "SELECT version FROM data_version WHERE id = 1"


def current(session: Session) -> int:
    """The data version as this session's transaction sees it."""
    return int(session.execute(text(VERSION_SQL)).scalar_one())


_IDENTITY_SQL = """
SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || d.oid::text
FROM pg_database d WHERE d.datname = current_database()
"""


def database_identity(session: Session) -> str:
    """Which database a version counts in: the cluster's system identifier and the database's oid.

    Versions restart wherever a database is created (a test run, a restore into a fresh database), so a version
    alone does not name a state of the data: a cache shared by several databases (one Redis) keys on both.
    A physical replica has its primary's identity, as it should.
    """
    return str(session.execute(text(_IDENTITY_SQL)).scalar_one())


def read_engine(url: str | None = None) -> Engine:
    """The primary's engine, or the one for `url` (the replica: services.cache passes `db.replica_url()`)."""
    return get_engine() if url is None else engine_for(url)


@contextmanager
def versioned_session(*, url: str | None = None) -> Iterator[tuple[Session, int]]:
    """A read-only REPEATABLE READ session and the data version of its snapshot (its first statement).

    Under REPEATABLE READ the snapshot is taken at the first statement, so every later read of the session sees
    exactly the writes counted by that version: no commit can slip in between the version and the data.
    """
    engine = read_engine(url)
    with engine.connect() as connection:
        snapshot = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with Session(bind=snapshot, expire_on_commit=False) as session:
            try:
                yield session, current(session)
            finally:
                session.rollback()  # read only: nothing to commit, and the snapshot ends here


def versioned_read(fn: Callable[[Session], T], *, url: str | None = None) -> tuple[int, T]:
    """`fn(session)` in one snapshot, with the data version that snapshot shows: the value is that version's."""
    with versioned_session(url=url) as (session, version):
        return version, fn(session)


def listen_url() -> str:
    """Where the watcher connects: DATABASE_LISTEN_URL, else the primary (as a plain psycopg URL)."""
    configured = get_settings().database_listen_url
    url = normalise_url(configured) if configured else database_url()
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


Mode = Literal["listen", "poll"]


class VersionWatcher:
    """One connection per process that follows the data version and fans each change out to its waiters.

    Runs in a daemon thread on a blocking psycopg connection rather than as an asyncio task: the app, the API,
    the CLI and tests have different event loops (or none), Reflex may restart its loop, and a thread needs
    none of them. Coroutines of any loop wait on futures the thread resolves via `call_soon_threadsafe`.

    In "listen" mode it LISTENs and, once a second, also reads the version on the same connection: that is
    the safety net for a lost notification (a LISTEN routed through a pooler that drops it) and the liveness
    check of the connection. In "poll" mode (or when LISTEN is refused, e.g. on a standby) it only reads the
    version once a second. A broken connection is reopened with exponential backoff.
    """

    def __init__(self, url: str, *, mode: Mode = "listen", poll_seconds: float = 1.0, max_backoff: float = 10.0):
        self.url = url
        self.mode: Mode = mode
        self.poll_seconds = poll_seconds
        self.max_backoff = max_backoff
        self.ready = threading.Event()  # set once the first version has been read
        self.reconnects = 0
        self._version = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]] = set()
        self._callbacks: list[Callable[[int], object]] = []

    @property
    def version(self) -> int:
        """The last version seen (0 until the first read)."""
        return self._version

    @property
    def listening(self) -> bool:
        """Connected and LISTENing (False while reconnecting or polling): for /metrics and health checks."""
        return self.mode == "listen" and self._conn is not None

    def start(self) -> VersionWatcher:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="opex-version-watcher", daemon=True)
                self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (it notices within one poll interval) and close the connection."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def subscribe(self, callback: Callable[[int], object]) -> Callable[[], None]:
        """Call `callback(version)` on the watcher thread at every change; returns the unsubscribe function."""
        self.start()
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock, suppress(ValueError):
                self._callbacks.remove(callback)

        return unsubscribe

    async def wait_for_change(self, seen: int, timeout: float) -> int:
        """The version once it is above `seen`, or the current one after `timeout` seconds. No database access."""
        self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            if self._version > seen:
                return self._version
            self._waiters.add(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return self._version
        finally:
            with self._lock:
                self._waiters.discard(entry)

    def _saw(self, version: int) -> None:
        """Record `version` if it is newer and wake every waiter (coroutines on their own loops, callbacks here)."""
        with self._lock:
            if version <= self._version:
                return
            self._version = version
            waiters, self._waiters = self._waiters, set()
            callbacks = list(self._callbacks)
        for loop, future in waiters:
            with suppress(RuntimeError):  # that loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future, version)
        for callback in callbacks:
            try:
                callback(version)
            except Exception:
                log.exception("a data version subscriber failed")

    def _run(self) -> None:
        """Connect and follow until stopped; any failure (a restart, a network cut, a bug) waits and reconnects:
        the watcher of a worker must outlive whatever happens to its connection."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    self._conn = conn
                    backoff = 0.5  # connected: the next loss starts the backoff afresh
                    self._follow(conn)
                return
            except psycopg.Error as error:
                log.warning("data version watcher lost %s (%s); reconnecting in %.1fs", _host(self.url), error, backoff)
            except Exception:
                log.exception("data version watcher failed; reconnecting in %.1fs", backoff)
            finally:
                self._conn = None
            self.reconnects += 1
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _follow(self, conn: psycopg.Connection) -> None:
        """Read the version now (writes made while disconnected), then follow it until stopped."""
        if self.mode == "listen":
            try:
                conn.execute(f"LISTEN {DATA_VERSION_CHANNEL}")
            except (psycopg.errors.FeatureNotSupported, psycopg.errors.ReadOnlySqlTransaction):
                log.warning("LISTEN refused by %s: polling the data version instead", _host(self.url))
                self.mode = "poll"
        self._poll(conn)
        self.ready.set()
        while not self._stop.is_set():
            if self.mode == "listen":
                for notice in conn.notifies(timeout=self.poll_seconds):
                    with suppress(ValueError):
                        self._saw(int(notice.payload))
            else:
                self._stop.wait(self.poll_seconds)
            self._poll(conn)

    def _poll(self, conn: psycopg.Connection) -> None:
        row = conn.execute(VERSION_SQL).fetchone()
        if row is not None:
            self._saw(int(row[0]))


def _resolve(future: asyncio.Future[int], version: int) -> None:
    if not future.done():
        future.set_result(version)


def _host(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host or 'socket'}/{parsed.database}"


_watcher: tuple[int, VersionWatcher] | None = None
_watcher_lock = threading.Lock()


def watcher() -> VersionWatcher:
    """This process's watcher, started on first use (a forked worker gets its own: threads do not survive fork)."""
    global _watcher
    with _watcher_lock:
        if _watcher is None or _watcher[0] != os.getpid():
            _watcher = (os.getpid(), VersionWatcher(listen_url()).start())
        return _watcher[1]


def stop_watcher() -> None:
    """Stop and forget this process's watcher (tests, shutdown); the next `watcher()` starts a new one."""
    global _watcher
    with _watcher_lock:
        found, _watcher = _watcher, None
    if found is not None and found[0] == os.getpid():
        found[1].stop()
