"""Budget import speed and memory, against baselines measured in the same run.

    .venv/bin/python tests/benchmarks/bench_import.py [LINES] [NAIVE_LINES]

1. In process: `polars.read_excel` alone vs the whole import (read, validate, diff, COPY, audit, commit)
   of a LINES-line, 23-column workbook into a fresh PostgreSQL database. Target: at most 2x.
2. Whole processes: `python -c "polars.read_excel(FILE)"` vs `python -m opex_app.cli import budget FILE --json`
   (start-up included), with each process's peak RSS. Targets: at most 3x; import peak under 600 MB.
3. Naive baseline on NAIVE_LINES: an openpyxl row loop with one ORM insert per line, vs the import.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from opex_app.domain.fiscal import FiscalYear  # noqa: E402
from tests.benchmarks._common import (  # noqa: E402
    cached_file,
    cli_import_runs,
    machine,
    python_code_runs,
    repeat_count,
    run_measured,  # noqa: F401 (bench_export imports it from here)
    scratch_database,
    timed,
    use_database,
)
from tests.benchmarks.workbook_gen import write_budget_file  # noqa: E402

REPEAT = repeat_count(3)


def workbook(lines: int) -> Path:
    return cached_file(f"budget-{lines}.xlsx", lambda path: write_budget_file(path, lines))


def import_in_process(path: Path) -> dict:
    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.services.imports import ImportOptions, run_import

    with transaction() as session:
        result = run_import(
            session,
            cli_principal(),
            "budget",
            path,
            file_name=path.name,
            options=ImportOptions(fiscal_year=FiscalYear(2027)),
        )
    assert result.status == "committed", result.to_json()["errors"][:3]
    return result.to_json()


def naive_import(path: Path) -> int:
    """The baseline the issue names: openpyxl row loop + one ORM insert per line."""
    import openpyxl
    from sqlmodel import Session, select

    from opex_app.db import get_engine
    from opex_app.models import BudgetLine, FiscalYearRow

    workbook_ = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = workbook_.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    next(rows)
    count = 0
    with Session(get_engine()) as session:
        fy = session.exec(select(FiscalYearRow).where(FiscalYearRow.end_year == 2027)).first()
        if fy is None:
            fy = FiscalYearRow(
                name="FY27",
                end_year=2027,
                start_month=4,
                start_date=FiscalYear(2027).start_date,
                end_date=FiscalYear(2027).end_date,
            )
            session.add(fy)
            session.flush()
        for row in rows:
            line = BudgetLine(
                fiscal_year_id=fy.id,
                uid=str(row[0]),
                parent_uid=row[1],
                description=row[2],
                currency_code=row[8],
                created_by="bench",
            )
            for m in range(12):
                setattr(line, f"m{m + 1:02d}", Decimal(str(row[11 + m] or 0)))
            session.add(line)
            session.flush()
            count += 1
        session.commit()
    return count


def main(lines: int, naive_lines: int) -> None:
    big, small = workbook(lines), workbook(naive_lines)
    print(f"budget import benchmark, {machine()}")
    t_read, frame = timed(lambda: pl.read_excel(big), repeat=REPEAT)
    print(f"  workbook: {lines:,} lines x {frame.width} columns, {big.stat().st_size / 1e6:.1f} MB")
    t_import, summary = float("inf"), {}
    for _ in range(REPEAT):  # best of REPEAT, each into a fresh database
        with scratch_database() as url:
            use_database(url)
            elapsed, summary = timed(lambda: import_in_process(big))
            t_import = min(t_import, elapsed)
    print(
        f"  in process (best of {REPEAT}): polars.read_excel {t_read:.2f} s | import (validated, audited, "
        f"committed) {t_import:.2f} s | ratio {t_import / t_read:.2f}x (target <= 2x); created "
        f"{summary['lines_created']:,}"
    )

    w_read, m_read, _ = python_code_runs(f"import polars; polars.read_excel({str(big)!r})", REPEAT)
    w_cli, m_cli, summaries = cli_import_runs(big, REPEAT, "--fy", "FY27")
    status = summaries[-1]["status"]
    print(
        f"  whole processes (best of {REPEAT}): read_excel {w_read:.2f} s, peak {m_read:.0f} MB | cli import "
        f"{w_cli:.2f} s, peak {m_cli:.0f} MB ({status}) | ratio {w_cli / w_read:.2f}x (target <= 3x, peak < 600 MB)"
    )

    with scratch_database() as url:
        use_database(url)
        t_naive, _ = timed(lambda: naive_import(small))
    with scratch_database() as url:
        use_database(url)
        t_ours, _ = timed(lambda: import_in_process(small))
    print(
        f"  {naive_lines:,} lines: naive openpyxl + ORM row inserts {t_naive:.2f} s | import {t_ours:.2f} s | "
        f"import is {t_naive / t_ours:.1f}x faster (and validates and audits)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
