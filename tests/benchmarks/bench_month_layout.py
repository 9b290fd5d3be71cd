"""Why a budget line keeps its twelve months as columns: COPY 100,000 lines as 100,000 wide rows
(m01..m12 on the line) versus 1,200,000 long rows (one row per line and fiscal month).

    .venv/bin/python tests/benchmarks/bench_month_layout.py [LINES]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import polars as pl
import psycopg

from tests.benchmarks._common import machine, scratch_database, timed

MONTHS = [f"m{m:02d}" for m in range(1, 13)]


def main(lines: int) -> None:
    wide = pl.DataFrame({"uid": [f"IT-FY27-{i:06d}" for i in range(lines)]}).with_columns(
        [(pl.int_range(pl.len()) % 997 * 100 + m).cast(pl.Decimal(18, 2)).alias(c) for m, c in enumerate(MONTHS)]
    )
    long = wide.unpivot(index="uid", on=MONTHS, variable_name="month", value_name="amount").with_columns(
        pl.col("month").str.slice(1).cast(pl.Int16)
    )
    with scratch_database(migrate=False) as url:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE wide (id bigserial primary key, uid text not null unique, "
                + ", ".join(f"{c} numeric(18,2) not null" for c in MONTHS)
                + ")"
            )
            conn.execute(
                "CREATE TABLE long (line_uid text not null, month smallint not null, amount numeric(18,2) not null, "
                "primary key (line_uid, month))"
            )

            def copy(table: str, frame: pl.DataFrame, columns: str) -> None:
                buf = io.BytesIO()
                frame.write_csv(buf, include_header=False)
                with conn.transaction():
                    conn.execute(f"TRUNCATE {table}")
                    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as cp:
                        cp.write(buf.getvalue())

            t_wide, _ = timed(lambda: copy("wide", wide, "uid, " + ", ".join(MONTHS)), repeat=3)
            t_long, _ = timed(lambda: copy("long", long, "line_uid, month, amount"), repeat=3)
            q_wide, _ = timed(
                lambda: conn.execute("SELECT sum(" + " + ".join(MONTHS) + ") FROM wide").fetchone(), repeat=3
            )
            q_long, _ = timed(lambda: conn.execute("SELECT sum(amount) FROM long").fetchone(), repeat=3)
    print(f"month layout, {lines:,} lines ({machine()})")
    print(f"  write: twelve columns {t_wide:.2f} s | one row per month {t_long:.2f} s | ratio {t_long / t_wide:.1f}x")
    print(f"  FY total query: twelve columns {q_wide * 1000:.0f} ms | one row per month {q_long * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
