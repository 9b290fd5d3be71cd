"""Wide CSV budget import, whole processes, against `polars.read_csv` plus a COPY of the same rows
into PostgreSQL, measured in the same run.

    .venv/bin/python tests/benchmarks/bench_import_csv.py [--lines N] [--repeat N]

The file: N lines (default 100,000) of the 23 tracker columns of bench_import.py (dates as Excel's
Save as CSV writes them, '01-Apr-2026'). Measured, best of --repeat (default 2), each process into a
fresh migrated database:
1. `python -c "polars.read_csv(FILE)"` alone (for reference).
2. The baseline the issue names, in one process: `polars.read_csv(FILE)`, the columns renamed to
   budget_line's (master names numbered in Polars), and one psycopg COPY of the rows into a table
   created `LIKE budget_line INCLUDING ALL` (same columns, types, defaults, keys and indexes).
3. `python -m opex_app.cli import budget FILE --fy FY27 --json` (validated, audited, committed).
Targets: 3 at most 2x of 2; import peak under 600 MB.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.benchmarks._common import (  # noqa: E402
    cached_file,
    child_env,
    cli_import_runs,
    machine,
    print_processes,
    python_code_runs,
    repeat_count,
    run_measured,
    scratch_database,
)
from tests.benchmarks.workbook_gen import write_budget_csv  # noqa: E402

SCRATCH = "bench_copy"
# Run as `python -c` with FILE and DSN set: read_csv, shape the rows as budget_line's, one COPY.
BASELINE = """
import io
import polars as pl
import psycopg
frame = pl.read_csv(FILE)
masters = {"Tower": "tower_id", "Budget Head": "budget_head_id", "Cost Centre": "cost_centre_id",
           "Vendor": "vendor_id", "Entity": "entity_id"}
rows = frame.select(
    pl.lit(1).alias("fiscal_year_id"),
    pl.col("UID").alias("uid"),
    pl.col("Parent UID").alias("parent_uid"),
    pl.col("Description").alias("description"),
    *[pl.col(name).rank("dense").cast(pl.Int32).alias(column) for name, column in masters.items()],
    pl.col("Currency").alias("currency_code"),
    pl.col("Service Start").alias("service_start"),
    pl.col("Service End").alias("service_end"),
    *[pl.col(name).alias(f"m{m:02d}") for m, name in enumerate(frame.columns[11:23], start=1)],
    pl.lit("bench").alias("created_by"),
    pl.lit(1).alias("version"),
)
buffer = io.BytesIO()
rows.write_csv(buffer, include_header=False)
with psycopg.connect(DSN) as conn:
    with conn.cursor().copy(f"COPY {TABLE} ({', '.join(rows.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
    copied = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
assert copied == frame.height, (copied, frame.height)
print(copied)
"""


def csv_file(lines: int) -> Path:
    return cached_file(f"budget-{lines}.csv", lambda path: write_budget_csv(path, lines))


def baseline_runs(path: Path, repeat: int) -> tuple[float, float, int]:
    """read_csv + COPY in one process, `repeat` times, each into a fresh database's scratch table."""
    runs = []
    for _ in range(repeat):
        with scratch_database() as url:
            dsn = url.replace("postgresql+psycopg", "postgresql")
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"CREATE TABLE {SCRATCH} (LIKE budget_line INCLUDING ALL)")
            code = f"FILE, DSN, TABLE = {str(path)!r}, {dsn!r}, {SCRATCH!r}\n{BASELINE}"
            runs.append(run_measured([sys.executable, "-c", code], child_env()))
    return min(r[0] for r in runs), max(r[1] for r in runs), int(runs[-1][2])


def main(lines: int, repeat: int) -> None:
    path = csv_file(lines)
    print(f"wide CSV budget import benchmark, {machine()}")
    print(f"  file: {lines:,} lines x 23 columns, {path.stat().st_size / 1e6:.1f} MB")
    w_read, m_read, _ = python_code_runs(f"import polars; polars.read_csv({str(path)!r})", repeat)
    w_base, m_base, copied = baseline_runs(path, repeat)
    w_cli, m_cli, summaries = cli_import_runs(path, repeat, "--fy", "FY27")
    for summary in summaries:
        assert summary["status"] == "committed", (summary["status"], summary["errors"][:3])
        assert summary["lines_created"] == lines, summary["lines_created"]
    print(f"  whole processes, best of {repeat} (each writer into a fresh database):")
    done = summaries[-1]
    print_processes(
        [
            ("python -c 'import polars; polars.read_csv(FILE)'", w_read, m_read, "(reference)"),
            ("read_csv + COPY into a budget_line-shaped table", w_base, m_base, f"(baseline, {copied:,} rows)"),
            (
                "python -m opex_app.cli import budget FILE --fy FY27 --json",
                w_cli,
                m_cli,
                f"({done['status']}, {done['lines_created']:,} lines created)",
            ),
        ]
    )
    print(
        f"  ratio import / (read_csv + COPY): {w_cli / w_base:.2f}x (target <= 2x); import / read_csv alone "
        f"{w_cli / w_read:.2f}x; import peak {m_cli:.0f} MB (target < 600 MB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="budget lines; default 100,000")
    parser.add_argument("--repeat", type=int, default=repeat_count(2), help="best of N (default 2, OPEX_BENCH_REPEAT)")
    args = parser.parse_args()
    main(args.lines, args.repeat)
