"""Figures cache: get-or-compute keyed by (namespace, request key, data version), never stale.

The rule: a figure cached under version v is computed from a server that has replayed v. So the lookup and the
computation happen inside one `versioned_session`: the version is the one that snapshot reads, a hit is served
only for exactly that version, and a miss is computed in that same snapshot and stored under it (not under a
version looked up beforehand, which a concurrent commit could have moved). When the read goes to a replica whose
snapshot is older than the version this worker's watcher already saw (a lagging replica), the read is redone on
the primary. Old versions are never read again and simply expire (Redis TTL) or fall out (in-process LRU).

Redis when REDIS_URL is set (pickled values: Redis is the app's own trusted store), else a bounded in-process
LRU. A Redis error never fails a request: the figure is computed directly and the error counted.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import redis
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from opex_app.db import replica_unreachable, written_version
from opex_app.services.data_version import database_identity, versioned_session, watcher
from opex_app.services.metrics import record_cache
from opex_app.settings import get_settings

T = TypeVar("T")
log = logging.getLogger(__name__)

KEY_PREFIX = "opex:figures:"
# Fixed, not settings: a key names its version, so an entry is never stale and the TTL only bounds Redis memory
# (an hour outlives a working session's repeated views); 256 figure sets of one process is a few MB at most.
TTL_SECONDS = 3600
MEMORY_ENTRIES = 256
_MISSING = object()


class BackendError(Exception):
    """The cache store failed; the caller computes without it."""


class Backend(Protocol):
    def get(self, key: str) -> Any: ...  # the value, or _MISSING
    def set(self, key: str, value: Any) -> None: ...


class MemoryBackend:
    """A bounded, thread-safe LRU of live objects (one process; no REDIS_URL)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            if key not in self._items:
                return _MISSING
            self._items.move_to_end(key)
            return self._items[key]

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


class RedisBackend:
    """Pickled values with a TTL; every Redis failure surfaces as BackendError (short timeouts: never hang).

    After a failure Redis is left alone for `retry_seconds`: while it is down or unreachable each request
    then computes at once instead of first waiting for a connect timeout.
    """

    def __init__(self, url: str, *, ttl_seconds: int, prefix: str = KEY_PREFIX, retry_seconds: float = 5.0) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self._down_until = 0.0

    def get(self, key: str) -> Any:
        self._check_up()
        try:
            raw: bytes | None = self.client.get(self.prefix + key)  # type: ignore[assignment]  # the sync client
        except redis.RedisError as error:
            raise self._down(error) from error
        try:
            return _MISSING if raw is None else pickle.loads(raw)  # written by this app only
        except (pickle.UnpicklingError, AttributeError, ImportError, EOFError) as error:
            raise BackendError(f"unreadable entry ({error})") from error  # e.g. written by an older release

    def set(self, key: str, value: Any) -> None:
        self._check_up()
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.client.set(self.prefix + key, payload, ex=self.ttl_seconds)
        except redis.RedisError as error:
            raise self._down(error) from error

    def _check_up(self) -> None:
        if time.monotonic() < self._down_until:
            raise BackendError("Redis failed moments ago; not retried yet")

    def _down(self, error: redis.RedisError) -> BackendError:
        self._down_until = time.monotonic() + self.retry_seconds
        return BackendError(str(error))


@dataclass
class NamespaceStats:
    hits: int = 0
    misses: int = 0
    errors: int = 0
    compute_seconds: float = 0.0


_stats: dict[str, NamespaceStats] = {}
_stats_lock = threading.Lock()


def _count(namespace: str, **deltas: float) -> None:
    with _stats_lock:
        entry = _stats.setdefault(namespace, NamespaceStats())
        for name, delta in deltas.items():
            setattr(entry, name, getattr(entry, name) + delta)
    record_cache(namespace, deltas)  # the same counts for /metrics, summed over every worker


def stats() -> dict[str, dict[str, float]]:
    """Counters of this process per namespace: hits, misses, errors, compute_seconds (/metrics reads the
    Prometheus counters `record_cache` keeps alongside, summed over every worker)."""
    with _stats_lock:
        return {namespace: asdict(entry) for namespace, entry in sorted(_stats.items())}


@lru_cache(maxsize=1)
def backend() -> Backend:
    settings = get_settings()
    if settings.redis_url:
        return RedisBackend(settings.redis_url, ttl_seconds=TTL_SECONDS)
    return MemoryBackend(MEMORY_ENTRIES)


def reset() -> None:
    """Forget the backend (settings changed) and the counters (tests)."""
    backend.cache_clear()
    with _stats_lock:
        _stats.clear()


def cache_key(namespace: str, key: tuple[str, ...], version: int) -> str:
    """`namespace:v<version>:<digest of the request key>`: request parts are user text, the digest keeps it safe."""
    digest = hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:32]
    return f"{namespace}:v{version}:{digest}"


def get_or_compute(
    namespace: str, key: tuple[str, ...], compute: Callable[[Session], T], *, read_url: str | None = None
) -> tuple[int, T]:
    """(version, value) of `compute(session)` for `key` at the version of the snapshot it is read from.

    `read_url` is where to read first (a replica: the dashboard passes `db.replica_url()`); the primary (None)
    is the fallback when that snapshot is older than `_version_needed()` or the replica cannot be read.
    """
    known = _version_needed() if read_url is not None else None
    if read_url is not None and known is not None:
        try:
            with versioned_session(url=read_url) as (session, version):
                if version >= known:
                    return version, _lookup_or_compute(namespace, key, compute, session, version)
            log.info("replica at data version %s, behind %s: reading %s from the primary", version, known, namespace)
        except OperationalError as error:  # refused, or lost mid-read: a pure read, so redone on the primary
            replica_unreachable(error)
    with versioned_session() as (session, version):
        return version, _lookup_or_compute(namespace, key, compute, session, version)


# How long a replica read waits for a just-started watcher's first version before reading the primary instead.
WATCHER_READY_SECONDS = 1.0


def _version_needed() -> int | None:
    """The least data version a replica snapshot must show: the primary's as this worker's watcher last saw it,
    and whatever this process's own writes committed (their notification may not have arrived yet). None while
    the watcher has read no version yet: the primary then."""
    follower = watcher()
    if not follower.ready.wait(WATCHER_READY_SECONDS):
        return None
    return max(follower.version, written_version())


def _lookup_or_compute(
    namespace: str, key: tuple[str, ...], compute: Callable[[Session], T], session: Session, version: int
) -> T:
    store = backend()
    full_key = cache_key(namespace, (database_identity(session), *key), version)
    usable = True
    try:
        found = store.get(full_key)
    except BackendError as error:
        log.warning("figures cache unavailable (%s): computing %s directly", error, namespace)
        _count(namespace, errors=1)
        found, usable = _MISSING, False
    if found is not _MISSING:
        _count(namespace, hits=1)
        return found  # type: ignore[no-any-return]  # stored by this function for this key
    started = time.perf_counter()
    value = compute(session)
    _count(namespace, misses=1, compute_seconds=time.perf_counter() - started)
    if usable:
        try:
            store.set(full_key, value)
        except BackendError as error:
            log.warning("figures cache unavailable (%s): %s not stored", error, namespace)
            _count(namespace, errors=1)
    return value
