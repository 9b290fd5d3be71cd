"""deploy/backup.sh and deploy/restore.sh round trip: a populated database is dumped, restored into an
empty one, and every table comes back with the same row count and the same content checksum.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import IN_CI

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DAY = 86400

pytestmark = pytest.mark.skipif(
    shutil.which("pg_dump") is None and not IN_CI, reason="PostgreSQL client tools (pg_dump) are not installed"
)


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("PG") and key != "DATABASE_URL"}
    return subprocess.run(
        ["bash", str(DEPLOY / name), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema -> (row count, md5 over its rows' text in a fixed order)."""
    with psycopg.connect(libpq(url)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        fingerprints = {}
        for table in tables:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()  # type: ignore[misc]
            fingerprints[table] = (count, digest)
        sequences = conn.execute(
            "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
        fingerprints |= {f"sequence {name}": (value, "") for name, value in sequences}
    return fingerprints


def populate(url: str) -> None:
    """Demo data (budget lines, POs, actuals, FX, masters, audit rows) plus one user, committed."""
    from sqlmodel import Session, create_engine

    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.domain.fiscal import parse_fiscal_year
    from opex_app.services.demo_data import load_demo_data
    from opex_app.services.users import create_user

    engine = create_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            load_demo_data(session, cli_principal(), parse_fiscal_year("FY27", 4), date(2026, 10, 15))
            create_user(session, cli_principal(), email="backup@example.com", role=RoleName.VIEWER, password="x" * 16)
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture()
def empty_database_url(scratch_database_url: str) -> Iterator[str]:
    """A database with no schema at all, on the same server, dropped at the end."""
    url = make_url(scratch_database_url)
    name = f"{url.database}_restore_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq(scratch_database_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq(scratch_database_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def old_file(folder: Path, name: str, age_days: float) -> Path:
    path = folder / name
    path.write_bytes(b"not a real dump")
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))
    return path


def test_backup_then_restore_gives_back_every_table(
    scratch_database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    populate(scratch_database_url)
    before = table_fingerprints(scratch_database_url)
    assert before["budget_line"][0] > 0 and before["actual"][0] > 0 and before["audit_event"][0] > 0
    expired = old_file(tmp_path, "opex-20200101T000000Z.dump", 31)
    kept = old_file(tmp_path, "opex-20200102T000000Z.dump", 29)
    foreign = old_file(tmp_path, "notes.txt", 400)

    backup = run_script("backup.sh", env={"DATABASE_URL": scratch_database_url, "OPEX_BACKUP_DIR": str(tmp_path)})

    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.parent == tmp_path and dump.name.startswith("opex-") and dump.name.endswith("Z.dump")
    assert not expired.exists() and f"removed {expired}" in backup.stderr
    assert kept.exists() and foreign.exists()
    assert list(tmp_path.glob("*.partial")) == []

    restore = run_script("restore.sh", str(dump), empty_database_url, env={})

    assert restore.returncode == 0, restore.stderr
    after = table_fingerprints(empty_database_url)
    assert after == before
    tables = {name: count for name, (count, _) in before.items() if not name.startswith("sequence ")}
    print(
        f"\nbackup round trip: {len(tables)} tables, {sum(tables.values()):,} rows, {len(before) - len(tables)}"
        f" sequences, dump {dump.stat().st_size // 1024} KB: every count, checksum and sequence equal"
    )


def test_restore_refuses_a_database_that_has_tables(scratch_database_url: str, tmp_path: Path) -> None:
    dump = run_script("backup.sh", str(tmp_path), env={"DATABASE_URL": scratch_database_url})
    assert dump.returncode == 0, dump.stderr
    before = table_fingerprints(scratch_database_url)

    again = run_script("restore.sh", dump.stdout.strip(), env={"DATABASE_URL": scratch_database_url})

    assert again.returncode == 1
    assert "already has" in again.stderr and "tables" in again.stderr
    assert table_fingerprints(scratch_database_url) == before


def test_a_failed_backup_leaves_no_dump_and_prunes_nothing(scratch_database_url: str, tmp_path: Path) -> None:
    expired = old_file(tmp_path, "opex-20200101T000000Z.dump", 31)
    missing = make_url(scratch_database_url).set(database=f"no_such_db_{uuid.uuid4().hex[:6]}")

    failed = run_script(
        "backup.sh",
        env={"DATABASE_URL": missing.render_as_string(hide_password=False), "OPEX_BACKUP_DIR": str(tmp_path)},
    )

    assert failed.returncode != 0
    assert "does not exist" in failed.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [expired.name]


def test_backup_refuses_a_nonsense_retention(tmp_path: Path) -> None:
    result = run_script("backup.sh", str(tmp_path), env={"OPEX_BACKUP_KEEP_DAYS": "0"})
    assert result.returncode == 2 and "OPEX_BACKUP_KEEP_DAYS" in result.stderr
    assert list(tmp_path.iterdir()) == []
