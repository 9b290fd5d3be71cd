"""Outages of the app's two servers, each on a private instance started for the test (never the shared ones).

- PostgreSQL restarts: /api/health answers 503 while it is down and 200 after; the service layer and the data
  version watcher of this very process work again with no restart of their own (the pool pings before each
  checkout, the watcher reconnects with backoff).
- Redis goes away under the running app: /api/health says degraded and the read API still answers (the figures
  cache is bypassed); a UI event fails within a bounded time with a visible message instead of hanging; once
  Redis is back a reload works.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from opex_app.api.routes import api
from opex_app.auth.permissions import RoleName, cli_principal
from opex_app.db import start_embedded_postgres, stop_embedded_postgres, transaction
from opex_app.domain.analytics import Filters
from opex_app.domain.fiscal import FiscalYear
from opex_app.migrate import upgrade
from opex_app.models import AppUser, Tower
from opex_app.services import api_tokens, dashboard
from opex_app.services.data_version import watcher
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.masters import create_missing
from opex_app.services.sessions import principal_of
from opex_app.services.users import create_user
from opex_app.state.backend_errors import SESSION_STORE_DOWN
from tests.app_process import free_port, serve_app
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PASSWORD, _need
from tests.services.lines import add_line
from tests.services.live_db import app_on, reaches

REDIS_SERVER = shutil.which("redis-server")
# The bound on an event while Redis is down: redis-py's retries of a refused connection, then the error toast.
EVENT_FAILS_WITHIN = 15

FY48 = FiscalYear(2048, 4)
FY50 = FiscalYear(2050, 4)


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


def _get_json(url: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


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

        # a restart that no request noticed: the pool still holds connections to the old server's processes
        stop_embedded_postgres(pgdata)
        assert start_embedded_postgres(pgdata) == url
        assert _dashboard_answers(), "the first read after it works: a pooled connection is pinged before use"


# --- Redis goes away under the running app ------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test alone on a free port, that the test kills and starts again on that port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        _until(self._answers, 10, "the private Redis answers")

    def kill(self) -> None:
        """SIGKILL: a crash, not a clean shutdown."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        _need(False, "redis-server")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_events_fail_visibly_and_fast_while_redis_is_down_and_work_after_it_returns(
    private_redis: PrivateRedis, database_url: str, tmp_path: Path
) -> None:
    _need(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    tag = uuid.uuid4().hex[:6]
    email, tower = f"outage-{tag}@example.com", f"Outage {tag}"
    with transaction() as session:
        created = create_user(session, cli_principal(), email=email, role=RoleName.VIEWER, password=PASSWORD)
        viewer = principal_of(session, session.get(AppUser, created.user_id))
        token = api_tokens.create(session, viewer, name="outage test").token
        create_missing(session, cli_principal(), "tower", [tower])
        add_line(session, ensure_fiscal_year(session, FY50), f"OUT-{tag}", {1: "100"}, tower=tower)
    summary = f"/api/v1/summary?fy=FY50&tower={urllib.parse.quote(tower)}&as_of=2049-06-01"
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        serve_app(database_url, private_redis.url, ARTIFACTS / "outage-app.log") as (base, _pid),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        try:
            page.goto(f"{base}/login")
            page.get_by_test_id("login-email").fill(email)
            page.get_by_test_id("login-password").fill(PASSWORD)

            private_redis.kill()
            assert _get_json(f"{base}/api/health")["status"] == "degraded"
            # the figures are computed from the database, the cache bypassed
            assert _get_json(base + summary, token)["kpis"]["budget"] == "100.00"
            started = time.monotonic()
            page.get_by_test_id("login-submit").click()
            # the app's backend exception handler says so (a toast), instead of a spinner forever
            expect(page.get_by_text(SESSION_STORE_DOWN)).to_be_visible(timeout=EVENT_FAILS_WITHIN * 1000)
            failed_after = time.monotonic() - started
            expect(page.get_by_test_id("user-role")).to_have_count(0)

            private_redis.start()
            assert _get_json(f"{base}/api/health")["status"] == "ok"
            page.reload()
            page.get_by_test_id("login-email").fill(email)
            page.get_by_test_id("login-password").fill(PASSWORD)
            page.get_by_test_id("login-submit").click()
            expect(page.get_by_test_id("user-role")).to_have_text("Viewer")
        finally:
            page.screenshot(path=str(ARTIFACTS / "outage-redis.png"))
            browser.close()
    print(f"an event failed visibly {failed_after:.1f}s after Redis died")
