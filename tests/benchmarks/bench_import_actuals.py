"""Actuals import speed and memory, whole processes, against `polars.read_excel` of the same file, with the
duplicate check running against a million actuals already stored.

    .venv/bin/python tests/benchmarks/bench_import_actuals.py [--rows N] [--stored N] [--repeat N]

The file: --rows invoices (default 100,000), 8 columns (Invoice No, Invoice Date as date cells, Vendor,
Amount, Currency, UID, PO Number, Remarks): one in ten repeats a stored invoice exactly (already imported,
skipped), one in eleven is in USD, some fall in the next FY, most name a UID or a PO.
Setup, not timed: a template database holding --stored actuals (default 1,000,000, loaded with COPY), the
400 vendors they name, FY27 with 20,000 budget lines, 5,000 approved POs of one line each and a USD rate
history. Every measured import runs in a fresh copy of it (CREATE DATABASE ... TEMPLATE).
Measured, best of --repeat (default 3):
1. `python -c "import polars; polars.read_excel(FILE)"`;
2. `python -m opex_app.cli import actuals FILE --json` (read, checked against the stored keys, converted,
   linked, COPYed and audited, committed);
3. the same file again into the database 2 left (every row already imported: nothing written);
and once, in this process, where the time goes: reading the file, the checks (a dry run), the write.
Targets: 2 at most 3x of 1; import peak under 600 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.benchmarks._common import (  # noqa: E402
    SERVER,
    best_of,
    cached_file,
    child_env,
    machine,
    print_processes,
    python_code_runs,
    repeat_count,
    run_measured,
    scratch_database,
    timed,
    use_database,
)
from tests.benchmarks.workbook_gen import (  # noqa: E402
    ACTUAL_VENDORS,
    actual_rows,
    stored_actuals,
    write_actuals_file,
)

LINES, POS = 20_000, 5_000


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _copy(conn: psycopg.Connection, table: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value=r"\N")
    with conn.cursor().copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as c:
        c.write(buffer.getvalue())


def load_reference_data(url: str, stored: pl.DataFrame) -> None:
    """Vendors, FY27, budget lines, POs, USD rates and the stored actuals, all with COPY."""
    with psycopg.connect(_dsn(url)) as conn:
        _copy(
            conn,
            "vendor",
            pl.DataFrame(
                {"name": ACTUAL_VENDORS, "name_key": [n.casefold() for n in ACTUAL_VENDORS], "is_active": True}
            ),
        )
        vendor_ids = dict(conn.execute("SELECT name, id FROM vendor").fetchall())
        fy_id = conn.execute(
            "INSERT INTO fiscal_year (name, end_year, start_month, start_date, end_date, is_closed) "
            "VALUES ('FY27', 2027, 4, '2026-04-01', '2027-03-31', false) RETURNING id"
        ).fetchone()[0]
        uids = [f"IT-FY27-{n:06d}" for n in range(1, LINES + 1)]
        _copy(
            conn,
            "budget_line",
            pl.DataFrame({"fiscal_year_id": fy_id, "uid": uids, "created_by": "bench", "version": 1}),
        )
        line_ids = dict(conn.execute("SELECT uid, id FROM budget_line").fetchall())
        pos = pl.DataFrame(
            {
                "po_number": [f"PO-{n:06d}" for n in range(1, POS + 1)],
                "vendor_id": [vendor_ids[ACTUAL_VENDORS[n % len(ACTUAL_VENDORS)]] for n in range(1, POS + 1)],
            }
        ).with_columns(
            fiscal_year_id=pl.lit(fy_id),
            currency_code=pl.lit("INR"),
            status=pl.lit("approved"),
            po_date=pl.lit("2026-04-01"),
            total_amount=pl.lit(10_000_000),
            fx_rate=pl.lit(1),
            total_amount_base=pl.lit(10_000_000),
            created_by=pl.lit("bench"),
            version=pl.lit(1),
        )
        _copy(conn, "purchase_order", pos)
        po_ids = conn.execute("SELECT po_number, id FROM purchase_order ORDER BY po_number").fetchall()
        _copy(
            conn,
            "po_line",
            pl.DataFrame(
                {
                    "purchase_order_id": [po_id for _, po_id in po_ids],
                    "budget_line_id": [line_ids[f"IT-FY27-{n:06d}"] for n in range(1, POS + 1)],
                    "amount": 10_000_000,
                    "amount_base": 10_000_000,
                }
            ),
        )
        months = pl.date_range(pl.date(2026, 4, 1), pl.date(2027, 6, 1), "1mo", eager=True)
        _copy(
            conn,
            "fx_rate",
            pl.DataFrame({"effective_from": months}).with_columns(
                currency_code=pl.lit("USD"),
                rate_to_base=(83 + pl.int_range(pl.len()) * 0.25).round(2),
                created_by=pl.lit("bench"),
            ),
        )
        ids = pl.DataFrame({"vendor": range(len(ACTUAL_VENDORS)), "vendor_id": [vendor_ids[n] for n in ACTUAL_VENDORS]})
        _copy(
            conn,
            "actual",
            stored.with_columns(pl.col("vendor").cast(pl.Int64))
            .join(ids, on="vendor", how="left")
            .select(
                pl.lit(fy_id).alias("fiscal_year_id"),
                "vendor_id",
                "invoice_number",
                "invoice_date",
                ((pl.col("invoice_date").dt.month().cast(pl.Int32) - 4) % 12 + 1).alias("fiscal_month"),
                pl.lit("INR").alias("currency_code"),
                "amount",
                pl.col("amount").alias("amount_base"),
                pl.lit(1).alias("fx_rate"),
                pl.lit(1).alias("version"),
                pl.lit("bench").alias("created_by"),
            ),
        )
        conn.commit()
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextmanager
def copy_of(template_url: str) -> Iterator[str]:
    """A database created from the template (its backends closed first), dropped afterwards."""
    admin = _dsn(SERVER)
    template = make_url(template_url).database
    name = f"opex_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (template,),
        )
        # FILE_COPY: copied as files, not written through the WAL; the checkpoint after it keeps its writes
        # out of the measured import.
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        conn.execute("CHECKPOINT")
    try:
        yield make_url(template_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(rows: int, stored_count: int, repeat: int) -> None:
    stored = stored_actuals(stored_count)
    path = cached_file(
        f"actuals-{rows}-{stored_count}.xlsx",
        lambda p: write_actuals_file(p, actual_rows(rows, stored, lines=LINES, pos=POS)),
    )
    print(f"actuals import benchmark, {machine()}")
    print(f"  file: {rows:,} invoices x 8 columns, {path.stat().st_size / 1e6:.1f} MB")
    w_read, m_read, _ = python_code_runs(f"import polars; polars.read_excel({str(path)!r})", repeat)
    command = [sys.executable, "-m", "opex_app.cli", "import", "actuals", str(path), "--json"]
    with scratch_database() as template:
        t_load, _ = timed(lambda: load_reference_data(template, stored))
        print(
            f"  stored before each import: {stored_count:,} actuals (COPY, {t_load:.1f} s, not timed), "
            f"{LINES:,} budget lines, {POS:,} POs"
        )
        firsts, agains = [], []
        for _ in range(repeat):
            with copy_of(template) as url:
                firsts.append(run_measured(command, child_env(DATABASE_URL=url)))
                agains.append(run_measured(command, child_env(DATABASE_URL=url)))
        with copy_of(template) as url:
            stages = in_process_stages(url, path)
    w_cli, m_cli, out = best_of(firsts)
    w_again, m_again, out_again = best_of(agains)
    first, again = json.loads(out), json.loads(out_again)
    assert first["status"] == "committed", (first["status"], first["errors"][:3])
    assert again["status"] == "committed" and again["lines_created"] == 0, again["errors"][:3]
    assert again["duplicates_skipped"] == again["rows_accepted"] == rows
    print(f"  whole processes, best of {repeat} (each import into a fresh copy of the stored data):")
    print_processes(
        [
            ("python -c 'import polars; polars.read_excel(FILE)'", w_read, m_read, "(baseline)"),
            (
                "python -m opex_app.cli import actuals FILE --json",
                w_cli,
                m_cli,
                f"({first['status']}, {first['lines_created']:,} created, {first['duplicates_skipped']:,} "
                f"duplicates skipped, {len(first['warnings']):,} warnings, {', '.join(first['fiscal_years'])})",
            ),
            (
                "... the same file again",
                w_again,
                m_again,
                f"({again['status']}, {again['lines_created']} created, {again['duplicates_skipped']:,} "
                "duplicates skipped)",
            ),
        ]
    )
    print(
        f"  ratio import / read_excel: {w_cli / w_read:.2f}x (target <= 3x); re-import {w_again / w_read:.2f}x; "
        f"import peak {max(m_cli, m_again):.0f} MB (target < 600 MB)"
    )
    read, checked, committed = stages
    print(
        f"  in process, once: read the file {read:.2f} s | checks against the stored actuals, conversion, links "
        f"(dry run) {checked:.2f} s | write (COPY into actual, audit, commit) {committed - checked:.2f} s"
    )


def in_process_stages(url: str, path: Path) -> tuple[float, float, float]:
    """(read, dry run, commit) seconds of the import in this process: where the time goes."""
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import reset_engine, transaction
    from opex_app.services.imports import ImportOptions, run_import
    from opex_app.services.imports.reading import read_file

    use_database(url)
    try:
        t_read, parsed = timed(lambda: read_file(path, "actuals", file_name=path.name, fiscal_year=None))

        def run(dry_run: bool) -> None:
            with transaction() as session:
                result = run_import(
                    session,
                    cli_principal(),
                    "actuals",
                    path,
                    file_name=path.name,
                    options=ImportOptions(dry_run=dry_run),
                    parsed=parsed,
                )
            assert result.status == ("dry-run" if dry_run else "committed"), result.errors[:3]

        t_check, _ = timed(lambda: run(True), repeat=2)  # the second with the caches the commit then finds
        t_commit, _ = timed(lambda: run(False))
        return t_read, t_check, t_commit
    finally:
        reset_engine()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=repeat_count(3))
    args = parser.parse_args()
    main(args.rows, args.stored, args.repeat)
