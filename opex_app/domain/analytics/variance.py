"""Variance report: budget, committed, actual, available and variance per member of a level, for a period.

Period columns (budget, committed, actual, available = budget − committed − actual, variance = budget − actual,
variance % = variance ÷ budget × 100, None when the budget is 0) cover the chosen period; the forecast
outturn and its variance always cover the whole FY (see `outturn`). Outturn is computed per line (the
run-rate is a line's own) and summed upwards.

Rows come in order: for each subtotal group (when asked) its members then its `subtotal` row, and one
`total` row last. Subtotals and the total are Decimal sums of the member rows, so they add up exactly;
only variance % is recomputed from the summed columns (a ratio does not add up).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import polars as pl

from opex_app.domain.analytics.outturn import outturn, with_month_outturn
from opex_app.domain.analytics.periods import Period
from opex_app.domain.analytics.schema import MONEY, money, validate_figures

Level = Literal["line", "tower", "budget_head", "cost_centre", "vendor"]
LEVELS: tuple[Level, ...] = ("line", "tower", "budget_head", "cost_centre", "vendor")
# the level names people type (CLI --level, the read API's level=) -> the report's level
LEVEL_NAMES: dict[str, Level] = {
    "line": "line",
    "tower": "tower",
    "head": "budget_head",
    "budget_head": "budget_head",
    "cost_centre": "cost_centre",
    "vendor": "vendor",
}

PERCENT = pl.Decimal(38, 2)
# the summable columns, in report order (available, variance, variance_pct, outturn_variance derive from them)
SUMMED = ("budget", "committed", "actual", "outturn")
REPORT_COLUMNS = (
    "row",
    "group",
    "member",
    "budget",
    "committed",
    "actual",
    "available",
    "variance",
    "variance_pct",
    "outturn",
    "outturn_variance",
)


def member_key(level: Level) -> pl.Expr:
    """The label a line is reported under at `level` (a line by its UID); a null dimension is `(no vendor)`."""
    column = "uid" if level == "line" else level
    return pl.col(column).fill_null(f"(no {column.replace('_', ' ')})")


def period_sum(column: str, period: Period, as_of_month: int) -> pl.Expr:
    """Aggregation: Σ column over the period's months (null counts as 0)."""
    return pl.col(column).filter(period.filter(as_of_month)).sum()


def available() -> pl.Expr:
    return pl.col("budget") - pl.col("committed") - pl.col("actual")


def variance() -> pl.Expr:
    return pl.col("budget") - pl.col("actual")


def percent(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator ÷ denominator × 100 to two decimals (half away from zero); None when the denominator is 0."""
    ratio = (numerator.cast(pl.Decimal(38, 6)) * 100 / denominator).round(2, mode="half_away_from_zero")
    return pl.when(denominator != 0).then(ratio).otherwise(None).cast(PERCENT)


def variance_pct() -> pl.Expr:
    """variance ÷ budget × 100 (see `percent`)."""
    return percent(variance(), pl.col("budget"))


def outturn_variance() -> pl.Expr:
    return pl.col("fy_budget") - pl.col("outturn")


def derived() -> list[pl.Expr]:
    """The columns computed from the summed ones, at every row (member, subtotal, total) alike."""
    return [
        money(available()).alias("available"),
        money(variance()).alias("variance"),
        variance_pct().alias("variance_pct"),
        money(outturn_variance()).alias("outturn_variance"),
    ]


def _sums() -> list[pl.Expr]:
    return [money(pl.col(c).sum()).alias(c) for c in (*SUMMED, "fy_budget")]


def variance_report(
    figures: pl.DataFrame | pl.LazyFrame,
    *,
    level: Level,
    period: Period,
    as_of_month: int,
    subtotal_by: Level | None = None,
) -> pl.DataFrame:
    """The report rows (REPORT_COLUMNS), members sorted by label within their group.

    Lines are grouped by their label (UID at line level: unique within one FY, so pass one FY).
    `row` is `member`, `subtotal` or `total`; `group` is the subtotal_by label (None on member rows when no
    subtotals are asked, and on the total row); `member` is None on subtotal and total rows.
    """
    if level not in LEVELS or (subtotal_by is not None and subtotal_by not in LEVELS):
        raise ValueError(f"level must be one of: {', '.join(LEVELS)}")
    group = member_key(subtotal_by) if subtotal_by is not None else pl.lit(None, pl.String)
    # one pass over the months: a line's period figures and its FY outturn
    lines = (
        with_month_outturn(validate_figures(figures), as_of_month)
        .group_by("budget_line_id")
        .agg(
            member_key(level).first().alias("member"),
            group.first().alias("group"),
            period_sum("budget_base", period, as_of_month).alias("budget"),
            period_sum("committed", period, as_of_month).alias("committed"),
            period_sum("actual", period, as_of_month).alias("actual"),
            pl.col("budget_base").sum().alias("fy_budget"),
            outturn().alias("outturn"),
        )
    )
    members = lines.group_by("group", "member").agg(_sums()).with_columns(*derived()).collect()
    parts = []
    if subtotal_by is None:
        parts.append(members.sort("member").with_columns(pl.lit("member").alias("row")))
    else:
        subtotals = (
            members.group_by("group").agg(_sums()).with_columns(*derived(), pl.lit(None, pl.String).alias("member"))
        )
        for (name,), rows in members.sort("group", "member").group_by("group", maintain_order=True):
            parts.append(rows.with_columns(pl.lit("member").alias("row")))
            parts.append(subtotals.filter(pl.col("group") == name).with_columns(pl.lit("subtotal").alias("row")))
    total = members.select(_sums()).with_columns(
        *derived(), pl.lit(None, pl.String).alias("group"), pl.lit(None, pl.String).alias("member")
    )
    parts.append(total.with_columns(pl.lit("total").alias("row")))
    return pl.concat([p.select(REPORT_COLUMNS) for p in parts], how="vertical")


def exceeds_thresholds(pct: Decimal, amount: Decimal) -> pl.Expr:
    """True where |variance| exceeds BOTH `amount` and `pct` % of |budget| (strictly).

    Compared in Decimal as |variance| × 100 > pct × |budget|, not through the rounded variance %: a zero
    budget with any variance exceeds every %, since spend without budget is over by any measure.
    """
    size = pl.col("variance").abs()
    over_pct = size.cast(pl.Decimal(38, 2)) * 100 > pl.col("budget").abs() * pl.lit(pct, pl.Decimal(38, 4))
    return over_pct & (size > pl.lit(amount, MONEY))


def flag(report: pl.DataFrame, *, pct: Decimal, amount: Decimal) -> pl.DataFrame:
    """The report with a boolean `flagged` column (every row: callers ask for comments on member rows)."""
    return report.with_columns(exceeds_thresholds(pct, amount).alias("flagged"))
