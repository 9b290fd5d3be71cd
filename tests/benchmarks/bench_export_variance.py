"""Variance workbook writing speed and memory: a line-level report of 100,000 members, built in memory (no
database), written by `domain.export.variance_workbook.write_variance_workbook` in its own process so peak
memory is that write's alone. The figures read (services.figures) is measured by bench_dashboard.py.

    .venv/bin/python tests/benchmarks/bench_export_variance.py [--members N] [--baseline-repo DIR] [--end-to-end]

`--baseline-repo` also times the writer of another checkout on the same report (e.g. the commit before a
change: `git archive COMMIT | tar -x -C DIR`) and prints both. Target (issue 8): the whole `export variance
--level line` of 100,000 lines in under 10 s, of which this write is the part that scales with the rows.
`--end-to-end` also loads that many budget lines (bench_export.load_lines) into a scratch database and
times the whole `python -m opex_app.cli export variance OUT --fy FY27 --level line` process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

FLAG_EVERY = 7  # one member in 7 is flagged ...
COMMENT_EVERY = 3  # ... and one flagged member in 3 has a comment
_MONEY = pl.Decimal(18, 2)


def report_frame(members: int) -> pl.DataFrame:
    """A line-level report (REPORT_COLUMNS + note columns, as services.analytics.variance_report returns)."""
    i = pl.int_range(pl.len(), dtype=pl.Int64)
    amount = [((i * k + 11) % 400_000 * 100 + 25).cast(_MONEY) for k in (37, 53, 71, 89)]
    frame = pl.DataFrame({"member": [f"IT-FY27-{n:06d}" for n in range(members)]}).select(
        pl.lit("member").alias("row"),
        pl.lit(None, pl.String).alias("group"),
        pl.col("member"),
        pl.when(i % 97 == 0).then(pl.lit(0, _MONEY)).otherwise(amount[0]).alias("budget"),
        amount[1].alias("committed"),
        amount[2].alias("actual"),
        amount[3].alias("outturn"),
        (i % FLAG_EVERY == 0).alias("flagged"),
    )
    frame = frame.with_columns(
        available=pl.col("budget") - pl.col("committed") - pl.col("actual"),
        variance=pl.col("budget") - pl.col("actual"),
        outturn_variance=pl.col("budget") - pl.col("outturn"),
    )
    commented = pl.col("flagged") & (pl.int_range(pl.len()) % (FLAG_EVERY * COMMENT_EVERY) == 0)
    frame = frame.with_columns(
        variance_pct=pl.when(pl.col("budget") != 0)
        .then((pl.col("variance").cast(pl.Float64) * 100 / pl.col("budget").cast(pl.Float64)).round(2))
        .cast(pl.Decimal(38, 2)),
        comment=pl.when(commented).then(pl.format("Renewal moved to Q{} & re-quoted", pl.col("member").str.slice(-1))),
        comment_by=pl.when(commented).then(pl.lit("ana@example.com")),
        comment_at=pl.when(commented).then(pl.lit(datetime(2026, 12, 5, 9, 30, tzinfo=UTC))),
    )
    sums = [pl.col(c).sum() for c in ("budget", "committed", "actual", "available", "variance", "outturn")]
    total = frame.select(pl.lit("total").alias("row"), *sums, pl.col("outturn_variance").sum())
    total = total.with_columns(variance_pct=(pl.col("variance") * 100 / pl.col("budget")).cast(pl.Decimal(38, 2)))
    columns = [*frame.columns]
    return pl.concat([frame, total], how="diagonal_relaxed").select(columns)


def child(members: int, out: str) -> None:
    """Build the report, write it once and print the write's wall and CPU seconds (run in its own process)."""
    from opex_app.domain.export.variance_workbook import write_variance_workbook

    report = report_frame(members)
    wall, cpu = time.perf_counter(), time.process_time()
    written = write_variance_workbook(out, [("line", report)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"WRITE {written} {wall:.3f} {cpu:.3f} {os.path.getsize(out)}")


def measure(repo: Path, members: int, out: Path) -> tuple[float, float, float, int, int]:
    """(write wall s, write CPU s, process peak MB, members written, file bytes) of `repo`'s writer."""
    from tests.benchmarks._common import child_env, run_measured

    code = (
        f"import sys; sys.path.insert(0, {str(repo)!r}); import runpy; "
        f"runpy.run_path({__file__!r})['child']({members}, {str(out)!r})"
    )
    _, peak, stdout = run_measured([sys.executable, "-c", code], child_env())
    _, written, wall, cpu, size = next(line for line in stdout.splitlines() if line.startswith("WRITE")).split()
    return float(wall), float(cpu), peak, int(written), int(size)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def end_to_end(repo: Path, url: str, out: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of the whole `export variance --level line` CLI process of `repo`.

    CPU is the process's own (user + system; PostgreSQL's work is not in it): on a shared machine it is
    the steadier figure."""
    from tests.benchmarks._common import child_env, run_measured

    argv = ["opex_app.cli", "export", "variance", str(out), "--fy", "FY27", "--level", "line", "--as-of", "2027-01-15"]
    code = (
        f"import sys, runpy; sys.path.insert(0, {str(repo)!r}); sys.argv = {argv!r}; "
        "runpy.run_module('opex_app.cli', run_name='__main__', alter_sys=True)"
    )
    cpu = _children_cpu()
    wall, peak, _ = run_measured([sys.executable, "-c", code], child_env(DATABASE_URL=url))
    return wall, _children_cpu() - cpu, peak


def check(path: Path, members: int) -> None:
    """The file opens with fastexcel and holds every member then the totals row."""
    sheet = pl.read_excel(path, sheet_name="Line", engine="calamine", schema_overrides={"Comment": pl.String})
    assert sheet.height == members + 1 and sheet["Line"][-1] == "Total", (sheet.height, sheet["Line"][-1])


def main() -> None:
    import tempfile

    from tests.benchmarks._common import machine, repeat_count

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--baseline-repo", type=Path, help="another checkout whose writer is timed as well")
    parser.add_argument("--repeat", type=int, default=repeat_count(3), help="best of N (OPEX_BENCH_REPEAT)")
    parser.add_argument("--end-to-end", action="store_true", help="also time the CLI export from a database")
    args = parser.parse_args()
    print(f"variance export benchmark, {machine()}")
    print(f"  line level, {args.members:,} members + totals row, 1 in {FLAG_EVERY} flagged, some commented")
    repos = [("this checkout", ROOT)] + ([("baseline", args.baseline_repo.resolve())] if args.baseline_repo else [])
    with tempfile.TemporaryDirectory() as tmp:
        for label, repo in repos:
            out = Path(tmp) / f"variance-{label.replace(' ', '-')}.xlsx"
            runs = [measure(repo, args.members, out) for _ in range(args.repeat)]
            wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
            peak, written, size = max(r[2] for r in runs), runs[-1][3], runs[-1][4]
            check(out, args.members)
            print(
                f"    {label:<14} write_variance_workbook {wall:6.2f} s wall, {cpu:6.2f} s CPU   "
                f"peak memory {peak:5.0f} MB   {written:,} members, {size / 1e6:.1f} MB file"
            )
        if args.end_to_end:
            _print_end_to_end(repos, args.members, Path(tmp))


def _print_end_to_end(repos: list[tuple[str, Path]], members: int, tmp: Path) -> None:
    from tests.benchmarks._common import scratch_database
    from tests.benchmarks.bench_export import load_lines

    print(f"  export variance --level line, {members:,} budget lines in the database (the CLI process)")
    with scratch_database() as url:
        load_lines(url, members)
        for label, repo in repos:
            out = tmp / f"cli-{label.replace(' ', '-')}.xlsx"
            wall, cpu, peak = end_to_end(repo, url, out)
            check(out, members)
            print(f"    {label:<14} whole process {wall:6.2f} s wall, {cpu:6.2f} s CPU   peak memory {peak:5.0f} MB")


if __name__ == "__main__":
    main()
