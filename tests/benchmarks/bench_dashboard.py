"""The dashboard and the variance export at size: with 100,000 budget lines, 20,000 POs (about 50,000 PO
lines) and 1,000,000 actuals stored, how long the figures frame of one FY takes to read (whole FY, and one
tower), the dashboard's figures computed from it (as of a month end and as of a day inside a month), and the
variance report exported at line level.
Targets (issue 8): every dashboard figure for one FY and one filter under 300 ms from the database; the
line-level variance export of 100,000 lines under 10 s.

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--lines N] [--pos N] [--actuals N]

Loads bench_figures' generated data with COPY into a fresh database, then VACUUM ANALYZE (the tables at
rest, as autovacuum leaves them). Prints the best of OPEX_BENCH_REPEAT (default 5) runs of each read beside
the baseline measured in the same run: the row-by-row read (`figures.fiscal_year_month_rows`, the same SQL
at the month grain, each row a Python tuple of Decimals, into a frame), which `figures_frame` replaced. The
baseline's whole-FY read is slow: it runs once. Both reads must give the same frame (checked).

On a shared machine wall times swing with the load, so each of our reads also prints its CPU time: the
PostgreSQL backend's (read from /proc when the server runs on this machine; parallel workers not counted)
plus this process's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import polars as pl
import psycopg
from polars.testing import assert_frame_equal

from tests.benchmarks._common import machine, repeat_count, scratch_database, timed, use_database
from tests.benchmarks.bench_figures import FY_END, TOWERS, load_generated

AS_OF = date(2026, 11, 30)  # fiscal month 8 of FY27: Apr..Oct closed
# a day inside a month: that month's invoices are read one by one up to the day (the other months from the sums)
AS_OF_MID = date(2026, 12, 15)


def _vacuum(url: str) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _backend_cpu(session: Any) -> Callable[[], float]:
    """CPU seconds used so far by the session's PostgreSQL backend, or 0.0 when it is not a local process."""
    from sqlalchemy import text

    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    stat, comm = Path(f"/proc/{pid}/stat"), Path(f"/proc/{pid}/comm")
    if not comm.exists() or not comm.read_text().startswith("postgres"):
        return lambda: 0.0

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return used


def _cpu_timed(fn: Callable[[], Any], repeat: int, server: Callable[[], float]) -> tuple[float, float, Any]:
    """Best wall time, least CPU time (server + this process) of `repeat` runs, and the last result."""
    best, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        s0, p0, t0 = server(), time.process_time(), time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, server() - s0 + time.process_time() - p0)
    return best, cpu, result


def _ms(seconds: float | None) -> str:
    return f"{'':>10}" if seconds is None else f"{seconds * 1000:8.1f} ms"


def _row(label: str, baseline: float | None, seconds: float, cpu: float | None = None, target: str = "") -> str:
    ratio = f"x{baseline / seconds:6.1f}" if baseline else " " * 7
    return f"    {label:<62}{_ms(baseline)}  {_ms(seconds)}  {ratio}  {_ms(cpu)}   {target}".rstrip()


def _sums(frame: pl.DataFrame) -> str:
    total = frame.select(pl.col("budget_base", "committed", "actual").sum()).row(0)
    return f"budget {total[0]:,}  committed {total[1]:,}  actual {total[2]:,}"


def main(lines: int, pos: int, actuals: int) -> None:
    repeat = repeat_count(5)
    with scratch_database() as url:
        use_database(url)
        from opex_app.auth.permissions import cli_principal
        from opex_app.db import read_session
        from opex_app.domain.analytics import FIGURES_SCHEMA, Filters, Period, as_of_month, dashboard_figures
        from opex_app.domain.fiscal import FiscalYear
        from opex_app.services import figures
        from opex_app.services.analytics import export_variance, figures_frame, fiscal_year_id

        load = load_generated(lines, pos, actuals)
        _vacuum(url)
        principal, fy, tower = cli_principal(), FiscalYear(FY_END), Filters(tower=TOWERS[2])
        month = as_of_month(fy, AS_OF)
        out = Path(tempfile.mkdtemp(prefix="opex-bench-dashboard-")) / "variance.xlsx"
        with read_session() as session:
            fy_id = fiscal_year_id(session, fy)

            def baseline(filters: Filters | None) -> pl.DataFrame:
                rows = figures.fiscal_year_month_rows(session, fiscal_year_id=fy_id, filters=filters)
                return pl.DataFrame(rows, schema=FIGURES_SCHEMA, orient="row")

            def read(filters: Filters | None = None, as_of: date | None = None) -> pl.DataFrame:
                return figures_frame(session, principal, fy=fy, as_of=as_of, filters=filters)

            t_base_all, base_all = timed(lambda: baseline(None), 1)
            t_base_tower, base_tower = timed(lambda: baseline(tower), min(repeat, 2))
            server = _backend_cpu(session)
            t_all, c_all, frame = _cpu_timed(read, repeat, server)
            t_tower, c_tower, tower_frame = _cpu_timed(lambda: read(tower), repeat, server)
            t_as_of, c_as_of, as_of_frame = _cpu_timed(lambda: read(None, AS_OF), repeat, server)
            assert_frame_equal(frame, base_all)
            assert_frame_equal(tower_frame, base_tower)
            t_dash_all, c_dash_all, dash = _cpu_timed(
                lambda: dashboard_figures(frame, as_of_month=month), repeat, server
            )
            t_dash_tower, c_dash_tower, dash_tower = _cpu_timed(
                lambda: dashboard_figures(tower_frame, as_of_month=month), repeat, server
            )
            # as the page does: the frame as of the date, and the figures of its as-of month
            t_whole_all, c_whole_all, _ = _cpu_timed(
                lambda: dashboard_figures(read(None, AS_OF), as_of_month=month), repeat, server
            )
            t_whole_tower, c_whole_tower, _ = _cpu_timed(
                lambda: dashboard_figures(read(tower, AS_OF), as_of_month=month), repeat, server
            )
            t_mid_all, c_mid_all, _ = _cpu_timed(
                lambda: dashboard_figures(read(None, AS_OF_MID), as_of_month=month + 1), repeat, server
            )
            t_mid_tower, c_mid_tower, _ = _cpu_timed(
                lambda: dashboard_figures(read(tower, AS_OF_MID), as_of_month=month + 1), repeat, server
            )
            t_export, c_export, exported = _cpu_timed(
                lambda: export_variance(
                    session, principal, out, fy=fy, levels=["line"], period=Period("fy"), as_of=AS_OF
                ),
                min(repeat, 2),
                server,
            )
        size = out.stat().st_size
        out.unlink()

        print(f"dashboard and variance export, {machine()}")
        print(f"  stored: {lines:,} lines, {pos:,} POs, {actuals:,} actuals (generated and loaded in {load:.1f} s)")
        print(f"  best of {repeat}{' (baseline whole FY: 1 run)' if repeat > 1 else ''}:")
        print(f"    {'':<62}{'baseline':>11}  {'now':>11}  {'ratio':>7}  {'CPU':>11}")
        whole, one = "read as of + figures, whole FY", "read as of + figures, one tower"
        for row in (
            (f"figures_frame, whole FY ({frame.height:,} rows)", t_base_all, t_all, c_all),
            (f"figures_frame, one tower ({tower_frame.height:,} rows)", t_base_tower, t_tower, c_tower),
            (f"figures_frame, whole FY as of {AS_OF}", None, t_as_of, c_as_of),
            ("dashboard_figures on the frame, whole FY", None, t_dash_all, c_dash_all),
            ("dashboard_figures on the frame, one tower", None, t_dash_tower, c_dash_tower),
            (f"dashboard from the database ({whole})", None, t_whole_all, c_whole_all, "target < 300 ms"),
            (f"dashboard from the database ({one})", None, t_whole_tower, c_whole_tower, "target < 300 ms"),
            (f"dashboard from the database (whole FY, as of {AS_OF_MID})", None, t_mid_all, c_mid_all),
            (f"dashboard from the database (one tower, as of {AS_OF_MID})", None, t_mid_tower, c_mid_tower),
            (f"export variance, line level ({exported.rows:,} rows)", None, t_export, c_export, "target < 10 s"),
        ):
            print(_row(*row))
        print(f"  whole FY:  {_sums(frame)}")
        print(f"  as of {AS_OF}:  {_sums(as_of_frame)}")
        print(f"  {TOWERS[2]}:  {_sums(tower_frame)}")
        for label, figures_ in (("whole FY", dash), (TOWERS[2], dash_tower)):
            k = figures_.kpis
            print(
                f"  KPIs {label} (as-of month {month}): budget {k.budget:,}, committed {k.committed:,},"
                f" actual {k.actual:,}, available {k.available:,}, utilisation {k.utilisation_pct}%,"
                f" outturn {k.outturn:,}, outturn variance {k.outturn_variance:,}"
            )
        print(f"  variance workbook: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--pos", type=int, default=20_000)
    parser.add_argument("--actuals", type=int, default=1_000_000)
    args = parser.parse_args()
    main(args.lines, args.pos, args.actuals)
