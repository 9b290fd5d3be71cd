"""The figures cache on real PostgreSQL (a scratch database: the reads see only committed data), with the
in-process LRU and with Redis (db 5 of the test server, under a prefix of this test that is deleted after it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from opex_app.db import transaction
from opex_app.models import Tower
from opex_app.services import cache
from opex_app.services.cache import BackendError, MemoryBackend, RedisBackend, get_or_compute
from opex_app.services.data_version import database_identity, watcher
from tests.services.live_db import app_on, reaches

REDIS_URL = os.environ.get("OPEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
NS = "test"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def live(request: pytest.FixtureRequest, scratch_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app on the scratch database, caching in process or in Redis under a prefix of this test only."""
    if request.param == "redis" and not _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    redis_url = REDIS_URL if request.param == "redis" else None
    for url in app_on(scratch_database_url, monkeypatch, redis_url=redis_url):
        store = cache.backend()
        if isinstance(store, RedisBackend):
            store.prefix = f"opex:test:{uuid.uuid4().hex}:"
        try:
            yield url
        finally:
            if isinstance(store, RedisBackend):
                keys = list(store.client.scan_iter(match=store.prefix + "*"))
                if keys:
                    store.client.delete(*keys)


def _tower_names(session: Session) -> list[str]:
    return list(session.execute(text("SELECT name FROM tower ORDER BY name")).scalars())


def _add_tower(name: str) -> None:
    with transaction() as session:
        session.add(Tower(name=name, name_key=name.casefold()))


def test_the_backend_follows_redis_url(live: str) -> None:
    expected = RedisBackend if os.environ.get("REDIS_URL") else MemoryBackend
    assert isinstance(cache.backend(), expected)


def test_a_second_read_at_the_same_version_is_a_hit(live: str) -> None:
    calls: list[int] = []

    def compute(session: Session) -> list[str]:
        calls.append(1)
        return _tower_names(session)

    first = get_or_compute(NS, ("towers",), compute)
    second = get_or_compute(NS, ("towers",), compute)
    other_key = get_or_compute(NS, ("towers", "again"), compute)
    assert first == second == other_key
    assert len(calls) == 2
    assert _counts() == (1, 2, 0)
    assert cache.stats()[NS]["compute_seconds"] > 0


def _counts() -> tuple[float, float, float]:
    found = cache.stats()[NS]
    return found["hits"], found["misses"], found["errors"]


def test_a_write_then_a_read_returns_the_new_figure(live: str) -> None:
    version, before = get_or_compute(NS, ("towers",), _tower_names)
    _add_tower("Cache Tower")
    new_version, after = get_or_compute(NS, ("towers",), _tower_names)  # no wait: read-your-writes
    assert new_version == version + 1
    assert after == sorted([*before, "Cache Tower"])
    assert _counts() == (0, 2, 0)


def test_a_value_is_stored_under_the_version_its_snapshot_read(live: str) -> None:
    def names_then_write(session: Session) -> list[str]:
        names = _tower_names(session)
        _add_tower(f"Mid-read {uuid.uuid4().hex[:6]}")  # commits during the snapshot: a later version
        return names

    version, value = get_or_compute(NS, ("racy",), names_then_write)
    assert get_or_compute(NS, ("racy",), _tower_names) == (version + 1, _tower_names_now())
    assert cache.backend().get(cache.cache_key(NS, (_identity(), "racy"), version)) == value


def _identity() -> str:
    with transaction() as session:
        return database_identity(session)


def test_the_key_names_the_database_as_well_as_the_version(live: str, database_url: str) -> None:
    # Versions restart in every new database (a test run, a restore): one Redis shared by two databases must
    # not serve one's figures to the other at the same version, so the key names the database too.
    version, value = get_or_compute(NS, ("towers",), _tower_names)
    assert cache.backend().get(cache.cache_key(NS, (_identity(), "towers"), version)) == value
    assert cache.backend().get(cache.cache_key(NS, ("towers",), version)) is cache._MISSING
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            assert database_identity(session) != _identity()  # the run's database, beside the scratch one
    finally:
        engine.dispose()


def _tower_names_now() -> list[str]:
    with transaction() as session:
        return _tower_names(session)


def test_when_redis_is_down_the_figure_is_computed_and_an_error_counted(
    scratch_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in app_on(scratch_database_url, monkeypatch, redis_url="redis://127.0.0.1:1/0"):  # nothing listens there
        assert isinstance(cache.backend(), RedisBackend)
        _, names = get_or_compute(NS, ("towers",), _tower_names)
        assert names == _tower_names_now()
        assert _counts() == (0, 1, 1)  # the failed read; nothing is then written to a store that is down
        assert get_or_compute(NS, ("towers",), _tower_names)[1] == names  # Redis not retried at once: bypassed
        assert _counts() == (0, 2, 2)
        with pytest.raises(BackendError, match="not retried yet"):
            cache.backend().get("any")


def test_a_lagging_replica_is_read_from_the_primary_instead(live: str, database_url: str) -> None:
    """The run's main test database stands in for a replica that has not replayed the primary's version."""
    primary = make_url(live).database
    with transaction() as session:  # the primary moves far ahead of the 'replica'
        session.execute(text("UPDATE data_version SET version = version + 1000000 WHERE id = 1"))
        session.add(Tower(name="Ahead", name_key="ahead"))
    target = _current_version()
    assert reaches(watcher(), target)

    assert get_or_compute(NS, ("where",), database, read_url=database_url) == (target, primary)
    # a replica that has caught up (here: the primary itself under another URL) is read
    assert get_or_compute(NS, ("where-caught-up",), database, read_url=live)[1] == primary


def database(session: Session) -> str:
    return str(session.execute(text("SELECT current_database()")).scalar_one())


def _current_version() -> int:
    with transaction() as session:
        return int(session.execute(text("SELECT version FROM data_version")).scalar_one())
