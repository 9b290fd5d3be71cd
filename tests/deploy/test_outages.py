"""Outages of the app's two servers, each on a private instance started for the test (never the shared ones).

- PostgreSQL restarts: /api/health answers 503 while it is down and 200 after; the service layer and the data
  version watcher of this very process work again with no restart of their own (the pool pings before each
  checkout, the watcher reconnects with backoff).
- Redis goes away under the running app: the figures cache is bypassed and /api/health says degraded; an event
  fails within a bounded time with a visible message instead of hanging; once Redis is back a reload works.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from opex_app.api.routes import api
from opex_app.auth.permissions import cli_principal
from opex_app.db import start_embedded_postgres, stop_embedded_postgres, transaction
from opex_app.domain.analytics import Filters
from opex_app.domain.fiscal import FiscalYear
from opex_app.migrate import upgrade
from opex_app.models import Tower
from opex_app.services import dashboard
from opex_app.services.data_version import watcher
from tests.services.live_db import app_on, reaches

FY48 = FiscalYear(2048, 4)


def _until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition()` holds (checked every 0.1 s), failing the test after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout}s")
        time.sleep(0.1)
    return time.monotonic() - started


# --- PostgreSQL restarts ------------------------------------------------------------------------


@pytest.fixture()
def private_postgres() -> Iterator[tuple[Path, str]]:
    """(data folder, URL) of a PostgreSQL cluster of this test alone (the embedded server of `make run`), migrated."""
    with tempfile.TemporaryDirectory(prefix="opex-outage-pg-") as tmp:
        pgdata = Path(tmp) / "pg"
        url = start_embedded_postgres(pgdata)
        try:
            upgrade(url)
            yield pgdata, url
        finally:
            stop_embedded_postgres(pgdata)


def _health() -> int:
    return TestClient(api).get("/api/health").status_code


def _dashboard_answers() -> bool:
    dashboard.dashboard(cli_principal(), fy=FY48, filters=Filters(), as_of=date(2047, 6, 1))
    return True


def _write(url: str, sql: str) -> None:
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute(sql)


def test_the_app_reconnects_after_postgresql_restarts(
    private_postgres: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pgdata, url = private_postgres
    _write(
        url,
        "INSERT INTO fiscal_year (name, end_year, start_month, start_date, end_date, is_closed) "
        "VALUES ('FY48', 2048, 4, '2047-04-01', '2048-03-31', false)",
    )
    for _ in app_on(url, monkeypatch):
        follower = watcher()
        assert follower.ready.wait(10)
        assert _health() == 200 and _dashboard_answers()  # the pool now holds connections to the old server

        stop_embedded_postgres(pgdata)
        started = time.monotonic()
        assert _health() == 503
        with pytest.raises(OperationalError):
            _dashboard_answers()
        assert time.monotonic() - started < 10, "a request fails fast while the database is down"
        _until(lambda: watcher().reconnects > 0, 10, "the watcher notices the lost connection")

        assert start_embedded_postgres(pgdata) == url
        assert _health() == 200
        assert _dashboard_answers(), "the same process reads again: no restart of the app"
        version = follower.version
        with transaction() as session:  # a write through the app's own pool
            session.add(Tower(name="After restart", name_key="after restart"))
        assert reaches(follower, version + 1, timeout=30), "the watcher reconnected and follows the new writes"
