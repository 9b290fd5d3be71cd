"""What the defences against hostile workbooks cost, against baselines measured in the same run.

    .venv/bin/python tests/benchmarks/bench_hostile.py [--lines LINES] [--repeats REPEATS]

1. Duplicate keys: one UID on every one of REPEATS rows, then 2 x REPEATS (CSV, the whole read). The error
   list is built in one grouping, so twice the rows should take about twice the time (ratio ~2, not ~4).
2. The inflate count: `count_inflated` (every entry of the zip really inflated) vs fastexcel's read of the
   sheet, on a LINES-line budget workbook: what the check adds before the parse.
3. The bounded read (a subprocess with memory and time limits) vs the read in this process, same file.

No database is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import fastexcel  # noqa: E402

from opex_app.domain.fiscal import FiscalYear  # noqa: E402
from opex_app.domain.ingest import ReadOptions, read_import  # noqa: E402
from opex_app.domain.ingest.specs import get_spec  # noqa: E402
from opex_app.domain.ingest.xlsx_scan import count_inflated  # noqa: E402
from tests.benchmarks._common import cached_file, machine, repeat_count, timed  # noqa: E402
from tests.benchmarks.workbook_gen import write_budget_file  # noqa: E402

FY = FiscalYear(2027)
SPEC = get_spec("budget")
REPEAT = repeat_count(3)


def one_uid_csv(rows: int) -> bytes:
    header = ",".join(["UID", "Description", *FY.month_labels()])
    return "\n".join([header] + [f"IT-1,line {i}" + ",100" * 12 for i in range(rows)]).encode() + b"\n"


def cpu_timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall and best CPU time (all threads of this process) of `repeat` runs, and the last result. The
    ratio uses CPU time: on a shared machine the wall time of a second-long run varies by 2x."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def duplicates(repeats: int) -> None:
    cpus = []
    for rows in (repeats, 2 * repeats):
        data = one_uid_csv(rows)
        options = ReadOptions(fiscal_year=FY, file_name="dup.csv")
        wall, cpu, parsed = cpu_timed(lambda data=data, options=options: read_import(data, SPEC, options), REPEAT)
        assert len(parsed.errors) == rows, len(parsed.errors)
        cpus.append(cpu)
        print(f"  one UID on {rows:,} rows: {wall:.2f} s wall, {cpu:.2f} s CPU, {rows:,} errors")
    print(f"  ratio for twice the rows (CPU): {cpus[1] / cpus[0]:.2f} (linear ~2, quadratic ~4)")


def inflate_and_bounded(lines: int) -> None:
    path = cached_file(f"budget-{lines}.xlsx", lambda p: write_budget_file(p, lines))
    print(f"  file: {lines:,} lines x 23 columns, {path.stat().st_size / 1e6:.1f} MB")
    read, _ = timed(lambda: fastexcel.read_excel(str(path)).load_sheet(0).to_polars(), REPEAT)
    count, inflated = timed(lambda: count_inflated(path, 1 << 40), REPEAT)
    print(
        f"  fastexcel read {read:.2f} s; inflate count of {inflated / 2**20:.0f} MB {count:.2f} s: +{count / read:.0%}"
    )

    os.environ["OPEX_IMPORT_ISOLATED"] = "true"
    from opex_app.services.imports.bounded import read_file_bounded
    from opex_app.services.imports.reading import read_file

    here, parsed = timed(lambda: read_file(path, "budget", file_name=path.name, fiscal_year=FY), REPEAT)
    bounded, parsed_there = timed(
        lambda: read_file_bounded(path, "budget", file_name=path.name, fiscal_year=FY), REPEAT
    )
    assert parsed_there.rows.equals(parsed.rows)
    print(f"  read in process {here:.2f} s; bounded subprocess {bounded:.2f} s: +{bounded - here:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50_000)
    args = parser.parse_args()
    print(f"hostile workbook defences benchmark, {machine()}")
    duplicates(args.repeats)
    inflate_and_bounded(args.lines)


if __name__ == "__main__":
    main()
