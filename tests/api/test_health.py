"""/api/health: 200 `ok` with the database and Redis up, 200 `degraded` when Redis is down (the figures cache is
bypassed), 503 only when the database is down."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from opex_app.api.routes import api
from opex_app.db import reset_engine
from opex_app.settings import get_settings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    get_settings.cache_clear()


def _health(monkeypatch: pytest.MonkeyPatch, redis_url: str | None) -> tuple[int, dict]:
    if redis_url is None:
        monkeypatch.delenv("REDIS_URL", raising=False)
    else:
        monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    response = TestClient(api).get("/api/health")
    return response.status_code, response.json()


def test_ok_with_the_database_and_redis_up(env: pytest.MonkeyPatch) -> None:
    assert _health(env, REDIS_URL) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    assert _health(env, None) == (200, {"status": "ok", "database": "ok", "redis": "not configured"})


def test_degraded_not_down_when_redis_is_down(env: pytest.MonkeyPatch) -> None:
    status, body = _health(env, DEAD)
    assert status == 200
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["redis"].startswith("error: ")


def test_503_when_the_database_is_down(env: pytest.MonkeyPatch, database_url: str) -> None:
    env.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    reset_engine()
    try:
        status, body = _health(env, REDIS_URL)
    finally:
        env.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        reset_engine()
    assert status == 503
    assert body["status"] == "error" and body["redis"] == "ok"
