"""Point the whole app (engine, watcher, cache) at a scratch database, for tests whose reads run in their own
snapshots and so must see committed data: the rolled-back `session` fixture's writes are invisible to them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from opex_app.db import reset_engine
from opex_app.services import cache
from opex_app.services.data_version import VersionWatcher, stop_watcher
from opex_app.settings import get_settings


def _forget() -> None:
    stop_watcher()
    get_settings.cache_clear()
    reset_engine()
    cache.reset()


def app_on(url: str, monkeypatch: pytest.MonkeyPatch, *, redis_url: str | None = None) -> Iterator[str]:
    """Body of a fixture: DATABASE_URL (and REDIS_URL, or none) set for the test, every cached handle forgotten
    before and after (monkeypatch restores the environment after the fixture ends)."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DATABASE_LISTEN_URL", raising=False)
    if redis_url:
        monkeypatch.setenv("REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    _forget()
    try:
        yield url
    finally:
        _forget()


def reaches(follower: VersionWatcher, target: int, timeout: float = 10.0) -> bool:
    """Wait (on the watcher's own callback, not by polling) until it has seen version `target`."""
    seen = threading.Event()

    def check(version: int) -> None:
        if version >= target:
            seen.set()

    unsubscribe = follower.subscribe(check)
    try:
        return follower.version >= target or seen.wait(timeout)
    finally:
        unsubscribe()
