"""DATABASE_REPLICA_URL: which reads go to the replica, which stay on the primary, and that writes never go there.

The "replica" is a second database on the test server, made read-only for everyone
(`default_transaction_read_only`), whose data differs on purpose: it alone has FY48, the primary alone has
FY50. So a dashboard of FY48 that answers was read from the replica, one of FY50 from the primary. Its data
version is set by hand to be ahead of (fresh) or behind (stale) the version the primary's watcher has seen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from opex_app import db
from opex_app.auth.permissions import cli_principal
from opex_app.domain.analytics import Filters, parse_period
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Tower
from opex_app.services import cache, dashboard
from opex_app.services.data_version import watcher
from opex_app.services.errors import NotFound
from tests.app_process import free_port
from tests.conftest import migrated_database
from tests.services.live_db import app_on, reaches

FY48 = FiscalYear(2048, 4)  # only on the replica
FY50 = FiscalYear(2050, 4)  # only on the primary


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _add_fiscal_year(url: str, fy: FiscalYear) -> None:
    with psycopg.connect(_plain(url), autocommit=True, options="-c default_transaction_read_only=off") as conn:
        conn.execute(
            "INSERT INTO fiscal_year (name, end_year, start_month, start_date, end_date, is_closed) "
            "VALUES (%s, %s, 4, %s, %s, false)",
            (fy.name, fy.end_year, fy.start_date, fy.end_date),
        )


def _set_version(url: str, version: int) -> None:
    with psycopg.connect(_plain(url), autocommit=True, options="-c default_transaction_read_only=off") as conn:
        conn.execute("UPDATE data_version SET version = %s WHERE id = 1", (version,))


def _version(url: str) -> int:
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        row = conn.execute("SELECT version FROM data_version WHERE id = 1").fetchone()
        assert row is not None
        return int(row[0])


def _tower_count(url: str) -> int:
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM tower").fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture()
def replica(scratch_database_url: str) -> Iterator[str]:
    """A second migrated database with FY48, read-only for every session (as a hot standby is)."""
    with migrated_database(scratch_database_url, "replica") as replica_url:
        _add_fiscal_year(replica_url, FY48)
        with psycopg.connect(_plain(replica_url), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{make_url(replica_url).database}" SET default_transaction_read_only = on')
        try:
            yield replica_url
        finally:
            db.reset_engine()  # its pooled connections would hold the database open


@pytest.fixture()
def primary(scratch_database_url: str, replica: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app on the scratch database (with FY50) and DATABASE_REPLICA_URL naming `replica`; the watcher is up."""
    _add_fiscal_year(scratch_database_url, FY50)
    monkeypatch.setenv("DATABASE_REPLICA_URL", replica)
    for url in app_on(scratch_database_url, monkeypatch):
        assert reaches(watcher(), _version(url))
        yield url


def _readable(fy: FiscalYear) -> bool:
    """Whether the dashboard of `fy` answers (the FY exists where it was read) or is NotFound."""
    as_of = date(fy.end_year - 1, 6, 1)
    try:
        dashboard.dashboard(cli_principal(), fy=fy, filters=Filters(), as_of=as_of)
    except NotFound:
        return False
    return True


def test_a_fresh_replica_serves_the_dashboard_and_the_variance_report(primary: str, replica: str) -> None:
    _set_version(replica, _version(primary) + 100)
    assert db.replica_url() == db.normalise_url(replica)
    assert _readable(FY48) and not _readable(FY50)
    period = parse_period("fy", FY48)
    result = dashboard.variance(cli_principal(), fy=FY48, levels=["tower"], period=period, as_of=date(2047, 6, 1))
    assert result.version == _version(replica)


def test_a_replica_behind_the_watcher_is_not_served(primary: str, replica: str) -> None:
    _set_version(replica, _version(primary) - 1)
    assert not _readable(FY48) and _readable(FY50)


def test_a_read_after_ones_own_write_goes_to_the_primary(
    primary: str, replica: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even before the watcher hears of the write: the write recorded the version it committed."""
    before = _version(primary)
    _set_version(replica, before)
    assert _readable(FY48)  # fresh: served by the replica
    deaf = SimpleNamespace(version=before, ready=SimpleNamespace(wait=lambda timeout: True))
    monkeypatch.setattr(cache, "watcher", lambda: deaf)  # a watcher that has not heard of the write yet
    with db.transaction() as session:
        session.add(Tower(name="Replica test", name_key="replica test"))
    assert db.written_version() == _version(primary) > before
    assert _readable(FY50) and not _readable(FY48)


def test_writes_never_reach_the_replica(primary: str, replica: str) -> None:
    towers = _tower_count(replica)
    with db.transaction() as session:
        session.add(Tower(name="Primary only", name_key="primary only"))
        session.execute(text("SELECT 1"))
    assert _tower_count(replica) == towers
    assert _tower_count(primary) == towers + 1
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), psycopg.connect(_plain(replica)) as conn:
        conn.execute("INSERT INTO tower (name, name_key) VALUES ('x', 'x')")  # the replica really refuses writes


def test_an_unreachable_replica_falls_back_to_the_primary_at_once(
    scratch_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_fiscal_year(scratch_database_url, FY50)
    monkeypatch.setenv("DATABASE_REPLICA_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    for _ in app_on(scratch_database_url, monkeypatch):
        assert db.replica_url() is not None
        assert _readable(FY50)
        assert db.replica_url() is None, "marked down: the next reads do not wait for a connect again"
        started = time.monotonic()
        assert _readable(FY50)
        assert time.monotonic() - started < db.CONNECT_TIMEOUT_SECONDS


def test_no_replica_when_the_url_names_the_primary(scratch_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compose file sets DATABASE_REPLICA_URL to the primary: then there is no second engine nor version check."""
    monkeypatch.setenv("DATABASE_REPLICA_URL", scratch_database_url.replace("postgresql+psycopg", "postgresql"))
    for _ in app_on(scratch_database_url, monkeypatch):
        assert db.replica_url() is None
