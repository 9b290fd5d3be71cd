"""Forecast outturn: what a budget line is expected to cost over its whole FY, as of a fiscal month.

Method (issue 8). The as-of month splits the FY: the months before it are closed, it and the later ones
are remaining (see `periods.as_of_month`: 0 before the FY, 13 after it, when every month is closed).
The frame holds only what stood on the as-of date: the service passes the actuals dated up to it, and the
commitments open then.

    outturn  = actual to date                  (every actual given, whatever its month)
             + open commitments                (committed, every month)
             + Σ over remaining months m of  max(0, max(budget_base[m], run_rate) − (committed[m] + actual[m]))
    run_rate = Σ actual of the closed months ÷ number of closed months, rounded half away from zero to the
               cent; 0 when no month is closed
    outturn variance = budget (whole FY) − outturn

Each remaining month is expected to cost the larger of its budget and the line's run-rate; what is already
committed or invoiced in that month covers part of that expectation, so it is subtracted before the month
is added (never below zero). Money is therefore counted once: an actual or a commitment is either in the
first two terms or reduces the third, never both. An invoice above its PO leaves the PO nothing open
(committed 0, the figures model's rule) and counts in full as actual, so a line can end above budget.
A closed month adds nothing beyond its actuals and commitments: its spend is known.

Everything is Decimal inside Polars (sums are exact); the only rounding is the run-rate's, to the cent.
"""

from __future__ import annotations

import polars as pl

from opex_app.domain.analytics.schema import money, validate_figures

_RATE_SCALE = pl.Decimal(38, 6)


def closed_months(as_of_month: int) -> int:
    """How many fiscal months are closed as of `as_of_month` (0..13)."""
    return min(max(as_of_month - 1, 0), 12)


def closed(as_of_month: int) -> pl.Expr:
    return pl.col("fiscal_month") < as_of_month


def run_rate(as_of_month: int) -> pl.Expr:
    """Aggregation: the average actual of the closed months, to the cent (0 when none is closed).

    Divides by the number of closed months, not by the rows found, so a month without a row counts as 0.
    """
    n = closed_months(as_of_month)
    if n == 0:
        return pl.lit(0, dtype=_RATE_SCALE)
    total = pl.col("actual").filter(closed(as_of_month)).sum().cast(_RATE_SCALE)
    return (total / n).round(2, mode="half_away_from_zero")


def remaining_expected(as_of_month: int) -> pl.Expr:
    """Aggregation: Σ over remaining months of max(0, max(budget_base, run_rate) − (committed + actual))."""
    expected = pl.max_horizontal(pl.col("budget_base").fill_null(0), run_rate(as_of_month))
    uncovered = (expected - (pl.col("committed") + pl.col("actual"))).clip(lower_bound=0)
    return uncovered.filter(~closed(as_of_month)).sum()


def outturn(as_of_month: int) -> pl.Expr:
    """Aggregation over one line's months: actual + committed + remaining expected spend."""
    return pl.col("actual").sum() + pl.col("committed").sum() + remaining_expected(as_of_month)


def outturn_by_line(figures: pl.DataFrame | pl.LazyFrame, *, as_of_month: int) -> pl.DataFrame:
    """One row per line: budget_line_id, budget (FY), run_rate, outturn, outturn_variance, all Decimal(18,2)."""
    return (
        validate_figures(figures)
        .group_by("budget_line_id")
        .agg(
            money(pl.col("budget_base").sum()).alias("budget"),
            money(run_rate(as_of_month)).alias("run_rate"),
            money(outturn(as_of_month)).alias("outturn"),
        )
        .with_columns(money(pl.col("budget") - pl.col("outturn")).alias("outturn_variance"))
        .sort("budget_line_id")
        .collect()
    )
