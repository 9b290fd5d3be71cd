"""Long-layout budget import (a row per line and month, as ERP exports arrive), whole processes, against
`polars.read_excel` of the same workbook measured in the same run.

    .venv/bin/python tests/benchmarks/bench_import_long.py [--lines N] [--repeat N]

The workbook: N lines (default 80,000) x 12 months = 12 N rows of UID, Description, Tower, Vendor, Month
(a date cell, the 1st of each month of FY27) and Amount. Measured, best of --repeat (default 2):
`python -c "import polars; polars.read_excel(FILE)"` vs `python -m opex_app.cli import budget FILE --json`
into a fresh migrated database each time (committed; the FY is read from the month dates), with each
process's peak RSS. Targets: at most 3x; import peak under 600 MB.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks._common import (  # noqa: E402
    cached_file,
    cli_import_runs,
    machine,
    print_processes,
    python_code_runs,
    repeat_count,
)
from tests.benchmarks.workbook_gen import write_long_budget_file  # noqa: E402


def workbook(lines: int) -> Path:
    return cached_file(f"budget-long-{lines}.xlsx", lambda path: write_long_budget_file(path, lines))


def main(lines: int, repeat: int) -> None:
    path = workbook(lines)
    print(f"long-layout budget import benchmark, {machine()}")
    print(
        f"  workbook: {lines:,} lines x 12 months = {12 * lines:,} rows x 6 columns, {path.stat().st_size / 1e6:.1f} MB"
    )
    w_read, m_read, _ = python_code_runs(f"import polars; polars.read_excel({str(path)!r})", repeat)
    w_cli, m_cli, summaries = cli_import_runs(path, repeat)
    for summary in summaries:
        assert summary["status"] == "committed", (summary["status"], summary["errors"][:3])
        assert summary["lines_created"] == lines, summary["lines_created"]
    print(f"  whole processes, best of {repeat} (cli import: each into a fresh database):")
    done = summaries[-1]
    print_processes(
        [
            ("python -c 'import polars; polars.read_excel(FILE)'", w_read, m_read, ""),
            (
                "python -m opex_app.cli import budget FILE --json",
                w_cli,
                m_cli,
                f"({done['status']}, {done['lines_created']:,} lines created, FY {done['fiscal_year']})",
            ),
        ]
    )
    print(
        f"  ratio import / read_excel: {w_cli / w_read:.2f}x (target <= 3x); "
        f"import peak {m_cli:.0f} MB (target < 600 MB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=80_000, help="budget lines (12 rows each); default 80,000")
    parser.add_argument("--repeat", type=int, default=repeat_count(2), help="best of N (default 2, OPEX_BENCH_REPEAT)")
    args = parser.parse_args()
    main(args.lines, args.repeat)
