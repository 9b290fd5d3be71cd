"""The figures model at size: with 100,000 budget lines, 20,000 POs (about 50,000 PO lines) and 1,000,000
actuals stored, how long the line detail's figures (one line, by month and in total) and one grid page's
figures (50 lines) take to read. Target: under 50 ms each.

    .venv/bin/python tests/benchmarks/bench_figures.py [--lines N] [--pos N] [--actuals N]

Generates the rows with Polars and loads them with COPY (services/copying.copy_in) into a fresh database,
then prints the best of OPEX_BENCH_REPEAT (default 5) runs of each read, and the figures read.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import polars as pl

from tests.benchmarks._common import machine, repeat_count, scratch_database, timed, use_database

FY_END = 2027  # FY27: Apr-26 .. Mar-27
FY_START = date(2026, 4, 1)
USD_RATE = "83.200000"
TOWERS = [f"Bench Tower {i}" for i in range(1, 8)]
VENDORS = [f"Bench Vendor {i:02d}" for i in range(1, 21)]
MONTHS = [f"m{m:02d}" for m in range(1, 13)]
STATUSES = ["approved"] * 6 + ["closed", "cancelled", "draft", "submitted"]  # by PO id % 10


def _pick(n: int, seed: int, k: int) -> pl.Expr:
    """A pseudo-random 0..k-1 for each of rows 0..n-1 (deterministic: same seed, same data)."""
    return (pl.int_range(0, n, dtype=pl.UInt64).hash(seed) % k).cast(pl.Int64)


def _frames(lines: int, pos: int, actuals: int, fy_id: int, towers: list[int], vendors: list[int]) -> dict:
    idx = pl.int_range(1, lines + 1, dtype=pl.Int64)
    budget = pl.select(
        idx.alias("id"),
        pl.lit(fy_id).alias("fiscal_year_id"),
        pl.format("BF-{}", idx.cast(pl.Utf8).str.zfill(6)).alias("uid"),
        pl.format("Bench line {}", idx).alias("description"),
        pl.lit(pl.Series(towers)).gather(idx % len(towers)).alias("tower_id"),
        pl.lit(pl.Series(vendors)).gather(idx % len(vendors)).alias("vendor_id"),
        pl.when(idx % 20 == 0).then(pl.lit("USD")).otherwise(pl.lit("INR")).alias("currency_code"),
        *[((_pick(lines, 100 + m, 1000) + 1) * 100).cast(pl.Decimal(18, 2)).alias(c) for m, c in enumerate(MONTHS)],
        pl.lit(1).alias("version"),
        pl.lit("bench").alias("created_by"),
    )

    po_idx = pl.int_range(1, pos + 1, dtype=pl.Int64)
    po_lines_n = pos * 5 // 2
    pl_idx = pl.int_range(1, po_lines_n + 1, dtype=pl.Int64)
    service = _pick(po_lines_n, 7, 2) == 0
    first = _pick(po_lines_n, 8, 12)
    po_line = pl.select(
        pl_idx.alias("id"),
        ((pl_idx - 1) % pos + 1).alias("purchase_order_id"),
        (_pick(po_lines_n, 5, lines) + 1).alias("budget_line_id"),
        ((_pick(po_lines_n, 6, 500) + 1) * 1000).cast(pl.Decimal(18, 2)).alias("amount"),
        pl.when(service).then(pl.lit(FY_START).dt.offset_by(pl.format("{}mo", first))).alias("service_start"),
        pl.when(service)
        .then(pl.lit(FY_START).dt.offset_by(pl.format("{}mo", pl.min_horizontal(first + 5, pl.lit(11)))))
        .dt.month_end()
        .alias("service_end"),
    )
    po = pl.select(
        po_idx.alias("id"),
        pl.format("BPO-{}", po_idx).alias("po_number"),
        pl.lit(fy_id).alias("fiscal_year_id"),
        pl.lit(pl.Series(vendors)).gather(po_idx % len(vendors)).alias("vendor_id"),
        pl.when(po_idx % 10 == 3).then(pl.lit("USD")).otherwise(pl.lit("INR")).alias("currency_code"),
        pl.lit(pl.Series(STATUSES)).gather(po_idx % 10).alias("status"),
        pl.lit(FY_START).dt.offset_by(pl.format("{}d", _pick(pos, 9, 300))).alias("po_date"),
        pl.when(po_idx % 10 == 3).then(pl.lit(USD_RATE)).otherwise(pl.lit("1")).alias("fx_rate"),
        pl.lit(1).alias("version"),
        pl.lit("bench").alias("created_by"),
    )
    rate = po.select("id", pl.col("fx_rate").cast(pl.Decimal(18, 6)))
    po_line = po_line.join(rate, left_on="purchase_order_id", right_on="id").with_columns(
        (pl.col("amount") * pl.col("fx_rate")).round(2).cast(pl.Decimal(18, 2)).alias("amount_base")
    )
    totals = po_line.group_by("purchase_order_id").agg(
        pl.col("amount").sum().alias("total_amount"), pl.col("amount_base").sum().alias("total_amount_base")
    )
    po = po.join(totals, left_on="id", right_on="purchase_order_id", how="left").with_columns(
        pl.col("total_amount", "total_amount_base").fill_null(0)
    )
    po_line = po_line.drop("fx_rate")

    a_idx = pl.int_range(1, actuals + 1, dtype=pl.Int64)
    fiscal_month = _pick(actuals, 11, 12) + 1
    kind = _pick(actuals, 12, 100)  # < 70: against a PO line; < 98: a line only; else unlinked
    actual = pl.select(
        a_idx.alias("id"),
        pl.lit(fy_id).alias("fiscal_year_id"),
        pl.when(kind < 70).then(_pick(actuals, 13, po_lines_n) + 1).alias("po_line_id"),
        pl.when((kind >= 70) & (kind < 98)).then(_pick(actuals, 14, lines) + 1).alias("own_line"),
        pl.lit(pl.Series(vendors)).gather(_pick(actuals, 15, len(vendors))).alias("vendor_id"),
        pl.format("BINV-{}", a_idx).alias("invoice_number"),
        pl.date(2026 + (fiscal_month + 2) // 12, (fiscal_month + 2) % 12 + 1, 15).alias("invoice_date"),
        fiscal_month.alias("fiscal_month"),
        pl.lit("INR").alias("currency_code"),
        ((_pick(actuals, 16, 2000) + 1) * 10).cast(pl.Decimal(18, 2)).alias("amount"),
        pl.lit("1").alias("fx_rate"),
        pl.lit(1).alias("version"),
        pl.lit("bench").alias("created_by"),
    )
    owners = po_line.select(
        pl.col("id").alias("po_line_id"), pl.col("budget_line_id").alias("po_budget_line"), "purchase_order_id"
    )
    actual = (
        actual.join(owners, on="po_line_id", how="left")
        .with_columns(
            pl.coalesce("po_budget_line", "own_line").alias("budget_line_id"),
            pl.col("amount").alias("amount_base"),
        )
        .drop("po_budget_line", "own_line")
    )
    return {"budget_line": budget, "purchase_order": po, "po_line": po_line, "actual": actual}


def load_generated(lines: int, pos: int, actuals: int) -> float:
    """Generate and COPY the benchmark data into the current database (FY27, towers, vendors); seconds taken."""
    from sqlalchemy import text

    from opex_app.auth.permissions import cli_principal
    from opex_app.db import transaction
    from opex_app.domain.fiscal import FiscalYear
    from opex_app.models import FxRate
    from opex_app.services.copying import copy_in
    from opex_app.services.fiscal_years import ensure_fiscal_year
    from opex_app.services.masters import create_missing, name_index

    start = time.perf_counter()
    with transaction() as session:
        fy = ensure_fiscal_year(session, FiscalYear(FY_END))
        assert fy.id is not None
        create_missing(session, cli_principal(), "tower", TOWERS)
        create_missing(session, cli_principal(), "vendor", VENDORS)
        towers, vendors = name_index(session, "tower"), name_index(session, "vendor")
        session.add(
            FxRate(currency_code="USD", rate_to_base=Decimal(USD_RATE), effective_from=FY_START, created_by="bench")
        )
        frames = _frames(
            lines,
            pos,
            actuals,
            fy.id,
            [towers[t.casefold()] for t in TOWERS],
            [vendors[v.casefold()] for v in VENDORS],
        )
        session.flush()
        for table, frame in frames.items():
            copy_in(session, table, frame)
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {frame.height + 1})"))
    with transaction() as session:
        session.execute(text("ANALYZE"))
    return time.perf_counter() - start


def _fmt(value, width: int) -> str:
    return f"{'no rate' if value is None else f'{value:,}':>{width}}"


def _print_line(uid: str, labels: list[str], months: list, total) -> None:
    print(f"  line {uid} ({total.currency}, budget rate {total.budget_rate}):")
    print(f"    {'month':<7}{'budget':>14}{'budget base':>16}{'committed':>16}{'actual':>14}{'available':>16}")
    rows = [(label, m) for label, m in zip(labels, months, strict=True)] + [("total", total)]
    for label, m in rows:
        print(
            f"    {label:<7}{_fmt(m.budget, 14)}{_fmt(m.budget_base, 16)}{_fmt(m.committed, 16)}"
            f"{_fmt(m.actual, 14)}{_fmt(m.available, 16)}"
        )


def main(lines: int, pos: int, actuals: int) -> None:
    repeat = repeat_count(5)
    with scratch_database() as url:
        use_database(url)
        from sqlalchemy import text

        from opex_app.auth.permissions import cli_principal
        from opex_app.db import read_session
        from opex_app.domain.fiscal import FiscalYear
        from opex_app.services import figures
        from opex_app.services.budget_lines import get_line_detail, list_lines
        from opex_app.services.budget_query import BudgetFilter
        from opex_app.services.overview import figures_by_tower

        load = load_generated(lines, pos, actuals)
        principal = cli_principal()
        with read_session() as session:
            counts = session.execute(
                text(
                    "SELECT (SELECT count(*) FROM budget_line), (SELECT count(*) FROM purchase_order),"
                    " (SELECT count(*) FROM po_line), (SELECT count(*) FROM actual)"
                )
            ).one()
            # the line detail at its busiest: the line with the most PO lines and actuals
            busiest = session.execute(
                text(
                    "SELECT bl.id, bl.uid FROM budget_line bl"
                    " ORDER BY (SELECT count(*) FROM po_line p WHERE p.budget_line_id = bl.id) * 20"
                    " + (SELECT count(*) FROM actual a WHERE a.budget_line_id = bl.id) DESC, bl.id LIMIT 1"
                )
            ).one()
            line_id, uid = busiest.id, busiest.uid
            flt = BudgetFilter(fy=FiscalYear(FY_END).name)
            page_ids = [r.id for r in list_lines(session, principal, flt, sort="uid", page=2).rows]

            def detail_figures():
                months = figures.line_month_figures(session, principal, line_ids=[line_id])[line_id]
                return months, figures.line_totals(session, line_ids=[line_id])[line_id]

            t_detail, (months, total) = timed(detail_figures, repeat)
            t_detail_page, detail = timed(lambda: get_line_detail(session, principal, line_id), repeat)
            t_grid, page_totals = timed(lambda: figures.line_totals(session, line_ids=page_ids), repeat)
            t_grid_page, page = timed(lambda: list_lines(session, principal, flt, sort="uid", page=2), repeat)
            t_overview, towers = timed(lambda: figures_by_tower(session, principal, FY_END), min(repeat, 2))

        print(f"figures model, {machine()}")
        print(
            f"  stored: {counts[0]:,} lines, {counts[1]:,} POs, {counts[2]:,} PO lines, {counts[3]:,} actuals"
            f" (generated and loaded with COPY in {load:.1f} s)"
        )
        print(f"  best of {repeat}:")
        for label, seconds, target in (
            ("line detail figures (12 months + totals, 1 line)", t_detail, "target < 50 ms"),
            (f"grid page figures (line_totals, {len(page_ids)} lines)", t_grid, "target < 50 ms"),
            ("whole line detail (get_line_detail, with history)", t_detail_page, ""),
            ("whole grid page (list_lines: count, sums, sort, page, figures)", t_grid_page, ""),
            (f"overview by tower (all {counts[0]:,} lines, best of {min(repeat, 2)})", t_overview, ""),
        ):
            print(f"    {label:<64}{seconds * 1000:8.1f} ms   {target}".rstrip())
        _print_line(uid, detail.month_labels, months, total)
        assert list(detail.months) == months and detail.totals == total
        sums = {
            name: sum((getattr(t, name) or 0 for t in page_totals.values()), 0)
            for name in ("budget_base", "committed", "actual", "available")
        }
        print(f"  grid page 2 ({page.rows[0].uid}..{page.rows[-1].uid}), sums of its rows' figures:")
        print("    " + " | ".join(f"{name} {value:,}" for name, value in sums.items()))
        print("  overview by tower:")
        for t in towers:
            print(
                f"    {t.tower:<16}{t.lines:>8,} lines  budget {t.budget:>18,}  committed {t.committed:>16,}"
                f"  actual {t.actual:>16,}  available {t.available:>18,}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--pos", type=int, default=20_000)
    parser.add_argument("--actuals", type=int, default=1_000_000)
    args = parser.parse_args()
    main(args.lines, args.pos, args.actuals)
