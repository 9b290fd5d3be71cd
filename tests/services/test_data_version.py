"""The data version on real PostgreSQL: the triggers of migration 0006 bump it in the writing transaction,
`versioned_read` reads it in the snapshot of its figures, and a watcher in this process sees another
connection's commits (through LISTEN and through the poll fallback) and only those.

Tests that commit run on a scratch database, so their commits never reach other tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, PoStatus, PurchaseOrder
from opex_app.services import data_version
from opex_app.services.data_version import VersionWatcher, current, versioned_read
from opex_app.services.fiscal_years import ensure_fiscal_year
from tests.services.lines import add_line
from tests.services.live_db import reaches

WAIT = 10.0  # generous: a condition met in milliseconds on a healthy machine


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _version(url: str) -> int:
    with psycopg.connect(_plain(url)) as conn:
        row = conn.execute(data_version.VERSION_SQL).fetchone()
        assert row is not None
        return int(row[0])


def _add_tower(conn: psycopg.Connection) -> None:
    name = f"Tower {uuid.uuid4().hex[:8]}"
    conn.execute(
        "INSERT INTO tower (name, name_key, is_active, created_at) VALUES (%s, %s, true, now())", (name, name.lower())
    )


@pytest.fixture(params=["listen", "poll"])
def follower(request: pytest.FixtureRequest, scratch_database_url: str) -> Iterator[VersionWatcher]:
    """A started watcher on the scratch database, in each mode, stopped after the test."""
    found = VersionWatcher(_plain(scratch_database_url), mode=request.param, poll_seconds=0.2).start()
    try:
        assert found.ready.wait(WAIT)
        yield found
    finally:
        found.stop()


def test_a_committed_write_in_another_connection_reaches_the_watcher(
    follower: VersionWatcher, scratch_database_url: str
) -> None:
    before = follower.version
    with psycopg.connect(_plain(scratch_database_url)) as conn:
        _add_tower(conn)  # committed when the block ends
    assert reaches(follower, before + 1)
    assert follower.version == before + 1 == _version(scratch_database_url)


def test_a_rolled_back_write_does_not_move_the_version(follower: VersionWatcher, scratch_database_url: str) -> None:
    before = _version(scratch_database_url)
    with psycopg.connect(_plain(scratch_database_url)) as conn:
        _add_tower(conn)
        conn.rollback()
        _add_tower(conn)  # a later committed write: once the watcher sees it, it has had every chance to see the first
    assert reaches(follower, before + 1)
    assert follower.version == before + 1 == _version(scratch_database_url)


def test_coroutines_wait_for_a_change_without_database_access(
    follower: VersionWatcher, scratch_database_url: str
) -> None:
    async def scenario() -> tuple[int, int, list[int]]:
        seen = follower.version
        timed_out = await follower.wait_for_change(seen, timeout=0.05)
        waiters = [asyncio.create_task(follower.wait_for_change(seen, timeout=WAIT)) for _ in range(20)]
        await asyncio.to_thread(_commit_tower, scratch_database_url)
        return seen, timed_out, list(await asyncio.gather(*waiters))

    seen, timed_out, versions = asyncio.run(scenario())
    assert timed_out == seen  # nothing changed: the current version after the timeout
    assert versions == [seen + 1] * 20 == [_version(scratch_database_url)] * 20


def _commit_tower(url: str) -> None:
    with psycopg.connect(_plain(url)) as conn:
        _add_tower(conn)


def test_the_watcher_reconnects_after_its_connection_is_killed(
    follower: VersionWatcher, scratch_database_url: str
) -> None:
    name = make_url(scratch_database_url).database
    with psycopg.connect(_plain(scratch_database_url), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        _add_tower(admin)  # written while the watcher is disconnected: read when it reconnects
    assert reaches(follower, _version(scratch_database_url))
    assert follower.reconnects >= 1


def test_the_version_bumps_in_the_writing_transaction(scratch_database_url: str) -> None:
    with (
        psycopg.connect(_plain(scratch_database_url)) as writer,
        psycopg.connect(_plain(scratch_database_url)) as other,
    ):
        other.autocommit = True
        before = _read(other)
        _add_tower(writer)
        assert _read(writer) == before + 1  # visible to the writer before commit
        assert _read(other) == before  # not to others
        writer.commit()
        assert _read(other) == before + 1


def _read(conn: psycopg.Connection) -> int:
    row = conn.execute(data_version.VERSION_SQL).fetchone()
    assert row is not None
    return int(row[0])


def test_versioned_read_returns_the_version_of_its_own_snapshot(scratch_database_url: str) -> None:
    def towers_then_write(session: Session) -> int:
        count = int(session.execute(text("SELECT count(*) FROM tower")).scalar_one())
        _commit_tower(scratch_database_url)  # committed by another connection mid-snapshot
        assert int(session.execute(text("SELECT count(*) FROM tower")).scalar_one()) == count
        return count

    before = _version(scratch_database_url)
    version, count = versioned_read(towers_then_write, url=scratch_database_url)
    assert version == before  # the snapshot's version, not the one committed during the read
    assert _version(scratch_database_url) == before + 1
    assert versioned_read(_tower_count, url=scratch_database_url) == (before + 1, count + 1)


def _tower_count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM tower")).scalar_one())


def test_versioned_read_is_read_only(scratch_database_url: str) -> None:
    with pytest.raises(Exception, match="read-only transaction"):
        versioned_read(lambda s: s.execute(text("DELETE FROM tower WHERE false")), url=scratch_database_url)


def test_a_budget_line_insert_a_po_status_update_and_an_actual_insert_each_bump_it(session: Session) -> None:
    fy = ensure_fiscal_year(session, FiscalYear(2044))
    assert fy.id is not None
    start = current(session)
    line = add_line(session, fy, "DV-1", {1: "100.00"})
    assert current(session) == start + 1
    amount = Decimal("50.00")
    po = PurchaseOrder(
        po_number="DV-PO-1",
        fiscal_year_id=fy.id,
        currency_code="INR",
        total_amount=amount,
        total_amount_base=amount,
        created_by="t",
    )
    session.add(po)
    session.flush()
    after_po = current(session)
    po.status = PoStatus.SUBMITTED.value
    session.add(po)
    session.flush()
    assert current(session) == after_po + 1
    session.add(
        Actual(
            fiscal_year_id=fy.id,
            budget_line_id=line.id,
            invoice_number="DV-INV-1",
            invoice_date=date(2043, 4, 5),
            fiscal_month=1,
            currency_code="INR",
            amount=Decimal("10.00"),
            amount_base=Decimal("10.00"),
            created_by="t",
        )
    )
    session.flush()
    assert current(session) == after_po + 2


class _RefusesListen(psycopg.Connection):
    """A connection that refuses LISTEN as a hot standby does."""

    def execute(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(query).startswith("LISTEN"):
            raise psycopg.errors.FeatureNotSupported("cannot execute LISTEN during recovery")
        return super().execute(query, *args, **kwargs)


def test_a_refused_listen_falls_back_to_polling(scratch_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_version.psycopg, "connect", _RefusesListen.connect)
    follower = VersionWatcher(_plain(scratch_database_url), poll_seconds=0.2).start()
    try:
        assert follower.ready.wait(WAIT)
        assert follower.mode == "poll"
        before = follower.version
        _commit_tower(scratch_database_url)
        assert reaches(follower, before + 1)
    finally:
        follower.stop()
