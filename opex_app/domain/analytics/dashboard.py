"""The dashboard's figures: KPI totals, budget/committed/actual by tower, cumulative spend by fiscal month,
the top vendors by actual, and a tower × month utilisation grid, all from one figures frame.

The frame is FIGURES_SCHEMA, already filtered by the caller (FY, dimensions, as-of date). Money stays
Decimal inside Polars, so every total is exact; outputs are Decimal(18,2), percentages Decimal(38,2) to two
decimals (half away from zero) and None where the budget is 0. A null `budget_base` counts as 0, as in
every other report. Labels of null dimensions are those of the variance report (`(no tower)`, `(no vendor)`).

Speed: the dashboard runs on whole-FY frames (1.2M rows for 100,000 lines). The frame is read by three
group-bys run together (`collect_all`): per (tower, fiscal month), per line (the outturn, which is a line's
own: see `outturn`) and per vendor. Everything else derives from the small tower × month frame, so the KPI
totals, the tower bars, the cumulative lines and the heatmap add up to each other by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import polars as pl

from opex_app.domain.analytics.outturn import outturn, with_month_outturn
from opex_app.domain.analytics.schema import MONEY, money, validate_figures
from opex_app.domain.analytics.variance import available, member_key, percent

TOP_VENDORS = 10
_SUMMED = ("budget", "committed", "actual")
_MONTHS = pl.DataFrame({"fiscal_month": range(1, 13)}, schema={"fiscal_month": pl.Int64})


@dataclass(frozen=True)
class Kpis:
    """The KPI cards, in base currency. utilisation_pct is None when the budget is 0."""

    budget: Decimal
    committed: Decimal
    actual: Decimal
    available: Decimal  # budget − committed − actual
    utilisation_pct: Decimal | None  # actual ÷ budget × 100
    outturn: Decimal  # Σ of each line's forecast outturn (FY)
    outturn_variance: Decimal  # budget − outturn


@dataclass(frozen=True, eq=False)
class DashboardFigures:
    """Everything the dashboard shows, from one frame: the frames are small (towers × 12 rows at most).

    eq=False: `==` on frames is element-wise, so a generated __eq__ would raise; compare the parts instead.
    """

    kpis: Kpis
    by_tower: pl.DataFrame  # tower, budget, committed, actual, available
    cumulative: pl.DataFrame  # fiscal_month, budget_cum, actual_cum, committed_cum, spent_cum
    top_vendors: pl.DataFrame  # vendor, actual
    tower_month: pl.DataFrame  # tower, fiscal_month, budget, actual, utilisation_pct


class MonthRow(Protocol):
    """One fiscal month of one line, as `services.figures.MonthFigures` gives it (read-only attributes)."""

    @property
    def fiscal_month(self) -> int: ...
    @property
    def budget_base(self) -> Decimal | None: ...
    @property
    def committed(self) -> Decimal: ...
    @property
    def actual(self) -> Decimal: ...


# ---- the passes over the big frame (lazy) -------------------------------------------------------------


def _tower_month_sums(figures: pl.LazyFrame) -> pl.LazyFrame:
    """Σ budget, committed, actual per (tower label, fiscal month): the one small frame most figures read."""
    return figures.group_by(member_key("tower").alias("tower"), "fiscal_month").agg(
        pl.col("budget_base").sum().alias("budget"),
        pl.col("committed").sum().alias("committed"),
        pl.col("actual").sum().alias("actual"),
    )


def _outturn_total(figures: pl.LazyFrame, as_of_month: int) -> pl.LazyFrame:
    """One row, one column `outturn`: the sum of every line's forecast outturn (`outturn.outturn`)."""
    return with_month_outturn(figures, as_of_month).select(money(outturn()).alias("outturn"))


def _top_vendors(figures: pl.LazyFrame) -> pl.LazyFrame:
    """The TOP_VENDORS vendors with the largest actual (ties by name). A vendor with no actual has no bar,
    so it is left out even when fewer than TOP_VENDORS vendors have spent."""
    return (
        figures.group_by(member_key("vendor").alias("vendor"))
        .agg(money(pl.col("actual").sum()).alias("actual"))
        .filter(pl.col("actual") != 0)
        .sort(["actual", "vendor"], descending=[True, False])
        .head(TOP_VENDORS)
    )


# ---- the small derivations (eager, from the tower × month sums) ----------------------------------------


def _kpis(sums: pl.DataFrame, outturn_total: Decimal) -> Kpis:
    totals = sums.select(money(pl.col(c).sum()).alias(c) for c in _SUMMED).with_columns(
        money(available()).alias("available"),
        percent(pl.col("actual"), pl.col("budget")).alias("utilisation_pct"),
        pl.lit(outturn_total, dtype=MONEY).alias("outturn"),
    )
    totals = totals.with_columns(money(pl.col("budget") - pl.col("outturn")).alias("outturn_variance"))
    return Kpis(**totals.row(0, named=True))


def _by_tower(sums: pl.DataFrame) -> pl.DataFrame:
    return (
        sums.group_by("tower")
        .agg(money(pl.col(c).sum()).alias(c) for c in _SUMMED)
        .with_columns(money(available()).alias("available"))
        .sort(["budget", "tower"], descending=[True, False])
    )


def _cumulative(sums: pl.DataFrame) -> pl.DataFrame:
    """All twelve months, a month without figures adding 0."""
    by_month = sums.group_by("fiscal_month").agg(pl.col(c).sum() for c in _SUMMED)
    cum = _MONTHS.join(by_month, on="fiscal_month", how="left").sort("fiscal_month")
    cum = cum.select("fiscal_month", *(money(pl.col(c).fill_null(0).cum_sum()).alias(f"{c}_cum") for c in _SUMMED))
    return cum.select(
        "fiscal_month",
        "budget_cum",
        "actual_cum",
        "committed_cum",
        money(pl.col("actual_cum") + pl.col("committed_cum")).alias("spent_cum"),
    )


def _tower_month(sums: pl.DataFrame) -> pl.DataFrame:
    """Every tower present × months 1..12 (a month without figures is 0), towers by name."""
    grid = sums.select("tower").unique().join(_MONTHS, how="cross")
    return (
        grid.join(sums, on=["tower", "fiscal_month"], how="left")
        .select(
            "tower",
            "fiscal_month",
            money(pl.col("budget").fill_null(0)).alias("budget"),
            money(pl.col("actual").fill_null(0)).alias("actual"),
        )
        .with_columns(percent(pl.col("actual"), pl.col("budget")).alias("utilisation_pct"))
        .sort("tower", "fiscal_month")
    )


# ---- the public functions --------------------------------------------------------------------------------


def kpis(figures: pl.DataFrame | pl.LazyFrame, *, as_of_month: int) -> Kpis:
    lazy = validate_figures(figures)
    sums, total = pl.collect_all([_tower_month_sums(lazy), _outturn_total(lazy, as_of_month)])
    return _kpis(sums, total.item())


def by_tower(figures: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """tower, budget, committed, actual, available; by budget (largest first), then name."""
    return _by_tower(_tower_month_sums(validate_figures(figures)).collect())


def cumulative_by_month(figures: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """fiscal_month 1..12, budget_cum, actual_cum, committed_cum, spent_cum (= actual_cum + committed_cum)."""
    return _cumulative(_tower_month_sums(validate_figures(figures)).collect())


def top_vendors(figures: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """vendor, actual: the TOP_VENDORS largest, ties by name; a null vendor is `(no vendor)`."""
    return _top_vendors(validate_figures(figures)).collect()


def tower_month_utilisation(figures: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """tower, fiscal_month, budget, actual, utilisation_pct (actual ÷ budget × 100; None when budget is 0)."""
    return _tower_month(_tower_month_sums(validate_figures(figures)).collect())


def cumulative_of_months(months: Sequence[MonthRow]) -> pl.DataFrame:
    """The cumulative_by_month frame of one line's months (the line detail's small chart); null budget is 0."""
    sums = pl.DataFrame(
        {
            "fiscal_month": [m.fiscal_month for m in months],
            "budget": [m.budget_base for m in months],
            "committed": [m.committed for m in months],
            "actual": [m.actual for m in months],
        },
        schema={"fiscal_month": pl.Int64, "budget": MONEY, "committed": MONEY, "actual": MONEY},
    )
    return _cumulative(sums)


def dashboard_figures(figures: pl.DataFrame | pl.LazyFrame, *, as_of_month: int) -> DashboardFigures:
    """Every dashboard figure in one read of the frame: three group-bys collected together."""
    lazy = validate_figures(figures)
    sums, total, vendors = pl.collect_all(
        [_tower_month_sums(lazy), _outturn_total(lazy, as_of_month), _top_vendors(lazy)]
    )
    return DashboardFigures(
        kpis=_kpis(sums, total.item()),
        by_tower=_by_tower(sums),
        cumulative=_cumulative(sums),
        top_vendors=vendors,
        tower_month=_tower_month(sums),
    )
