"""Budget export speed and memory: 100,000 lines against 10,000 lines (the baseline), each exported by
`python -m opex_app.cli export budget` in its own process so peak memory is that export's alone.

    .venv/bin/python tests/benchmarks/bench_export.py [LINES] [BASELINE_LINES]

Targets: 100,000 lines in under 10 s; peak memory flat (about the same as for the baseline).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402
import psycopg  # noqa: E402

from opex_app.domain.budget_fields import MONTH_FIELDS  # noqa: E402
from tests.benchmarks._common import machine, scratch_database  # noqa: E402
from tests.benchmarks.bench_import import run_measured  # noqa: E402


def load_lines(url: str, lines: int) -> None:
    """COPY `lines` synthetic FY27 lines (with masters) into the database at `url`."""
    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO fiscal_year (name, end_year, start_month, start_date, end_date, is_closed) "
            "VALUES ('FY27', 2027, 4, '2026-04-01', '2027-03-31', false)"
        )
        for table, count in (("tower", 8), ("budget_head", 20), ("cost_centre", 60), ("vendor", 400), ("entity", 2)):
            conn.execute(
                f"INSERT INTO {table} (name, name_key, is_active, created_at) "
                f"SELECT '{table} ' || i, '{table} ' || i, true, now() FROM generate_series(1, {count}) i"
            )
        frame = pl.DataFrame({"uid": [f"IT-FY27-{i:06d}" for i in range(lines)]}).with_columns(
            pl.lit(1).alias("fiscal_year_id"),
            pl.format("Support and licences for unit {}", pl.int_range(pl.len()) % 97).alias("description"),
            (pl.int_range(pl.len()) % 8 + 1).alias("tower_id"),
            (pl.int_range(pl.len()) % 20 + 1).alias("budget_head_id"),
            (pl.int_range(pl.len()) % 60 + 1).alias("cost_centre_id"),
            (pl.int_range(pl.len()) % 400 + 1).alias("vendor_id"),
            (pl.int_range(pl.len()) % 2 + 1).alias("entity_id"),
            pl.lit("INR").alias("currency_code"),
            pl.lit("2026-04-01").alias("service_start"),
            pl.lit("2027-03-31").alias("service_end"),
            *[
                ((pl.int_range(pl.len()) * 37 + m) % 500_000 * 100 + 25).cast(pl.Decimal(18, 2)).alias(c)
                for m, c in enumerate(MONTH_FIELDS)
            ],
            pl.lit("bench").alias("created_by"),
            pl.lit(1).alias("version"),
        )
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False)
        with conn.cursor().copy(f"COPY budget_line ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())


def export(url: str, out: Path) -> tuple[float, float]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    wall, peak, _ = run_measured(
        [sys.executable, "-m", "opex_app.cli", "export", "budget", str(out), "--fy", "FY27"], env
    )
    return wall, peak


def main(lines: int, baseline: int) -> None:
    print(f"budget export benchmark, {machine()}")
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (baseline, lines):
            with scratch_database() as url:
                load_lines(url, count)
                out = Path(tmp) / f"export-{count}.xlsx"
                wall, peak = export(url, out)
                rows = pl.read_excel(out, sheet_name="Budget").height
                figures[count] = (wall, peak)
                print(
                    f"  {count:>7,} lines: {wall:.2f} s, peak {peak:.0f} MB, {out.stat().st_size / 1e6:.1f} MB file, "
                    f"{rows:,} rows read back"
                )
    (t_small, m_small), (t_big, m_big) = figures[baseline], figures[lines]
    print(
        f"  {lines:,} vs {baseline:,} lines: time x{t_big / t_small:.1f} for x{lines / baseline:.0f} the lines "
        f"(target < 10 s: {t_big:.1f} s); peak memory x{m_big / m_small:.2f} (flat = about 1)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
