"""Shared helpers for the benchmark scripts: a scratch database, timing and peak memory."""

from __future__ import annotations

import os
import platform
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

SERVER = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def machine() -> str:
    return f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of `repeat` runs and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@contextmanager
def scratch_database(migrate: bool = True) -> Iterator[str]:
    """A fresh database on the benchmark server (migrated to head), dropped afterwards."""
    from sqlalchemy.engine import make_url

    name = f"opex_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(SERVER).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            from opex_app.migrate import upgrade

            upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def use_database(url: str) -> None:
    """Point opex_app at `url` (settings and engine are cached per process)."""
    os.environ["DATABASE_URL"] = url
    from opex_app.db import reset_engine
    from opex_app.settings import get_settings

    get_settings.cache_clear()
    reset_engine()
