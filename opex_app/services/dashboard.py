"""The dashboard and variance use cases that the pages and the read API share, cached by data version.

Each one reads the figures frame and computes its domain function inside one versioned snapshot
(`cache.get_or_compute`), so the figures returned are exactly those of the version returned, and a second
request for the same FY, filter and as-of date at the same version is served from the cache. The permission
is checked before the cache is consulted: a cached figure is never shown to someone who may not see it. The
key holds no user: whoever may view dashboards sees the same figures (there is no row-level access).
Both read from the replica when DATABASE_REPLICA_URL names one, unless its snapshot is older than the data version
this worker has seen or written (then from the primary: see `cache.get_or_compute`).

`to_json` is the read API's shape of a dashboard: money as exact decimal strings ("1234.50", never floats,
so Power Query receives the same digits the page shows), percentages likewise or null when the budget is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlmodel import Session

from opex_app.auth.permissions import Permission, Principal, require
from opex_app.db import replica_url
from opex_app.domain.analytics import Filters, Level, Period, as_of_month
from opex_app.domain.analytics.dashboard import DashboardFigures, dashboard_figures
from opex_app.domain.fiscal import FiscalYear
from opex_app.services import analytics, cache
from opex_app.services.audit import jsonable
from opex_app.settings import get_settings

DASHBOARD_NAMESPACE = "dashboard"
VARIANCE_NAMESPACE = "variance"


@dataclass(frozen=True)
class DashboardResult:
    fy: FiscalYear
    filters: Filters
    version: int  # the data version the figures were read at
    as_of: date
    as_of_month: int  # 0 before the FY, 13 after it (domain.analytics.as_of_month)
    figures: DashboardFigures


def dashboard(principal: Principal, *, fy: FiscalYear, filters: Filters, as_of: date) -> DashboardResult:
    """Every figure of the dashboard for one FY, filter and as-of date, at the current data version."""
    require(principal, Permission.VIEW_DASHBOARDS)
    month = as_of_month(fy, as_of)

    def compute(session: Session) -> DashboardFigures:
        frame = analytics.figures_frame(session, principal, fy=fy, as_of=as_of, filters=filters)
        return dashboard_figures(frame, as_of_month=month)

    key = (fy.name, filters.cache_key(), as_of.isoformat())
    version, figures = cache.get_or_compute(DASHBOARD_NAMESPACE, key, compute, read_url=replica_url())
    return DashboardResult(fy=fy, filters=filters, version=version, as_of=as_of, as_of_month=month, figures=figures)


@dataclass(frozen=True)
class VarianceResult:
    version: int
    reports: dict[Level, pl.DataFrame]  # services.analytics.variance_report's, one per level in the order asked


def variance(
    principal: Principal, *, fy: FiscalYear, levels: Sequence[Level], period: Period, as_of: date
) -> VarianceResult:
    """`services.analytics.variance_report` through the cache, so the variance page and the API share it."""
    require(principal, Permission.VIEW_DASHBOARDS)
    asked = tuple(levels)

    def compute(session: Session) -> dict[Level, pl.DataFrame]:
        return analytics.variance_report(session, principal, fy=fy, levels=asked, period=period, as_of=as_of)

    key = (fy.name, ",".join(asked), f"{period.kind}{period.index}", as_of.isoformat())
    version, reports = cache.get_or_compute(VARIANCE_NAMESPACE, key, compute, read_url=replica_url())
    return VarianceResult(version=version, reports=reports)


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{name: jsonable(value) for name, value in row.items()} for row in frame.iter_rows(named=True)]


def to_json(result: DashboardResult) -> dict[str, Any]:
    """The read API's summary: the dashboard's own figures, money as exact decimal strings."""
    figures = result.figures
    months = figures.cumulative.with_columns(
        pl.col("fiscal_month").map_elements(result.fy.month_label, return_dtype=pl.String).alias("month")
    )
    return {
        "fy": result.fy.name,
        "as_of": result.as_of.isoformat(),
        "as_of_month": result.as_of_month,
        "version": result.version,
        "currency": get_settings().base_currency,
        "filters": result.filters.as_params(),
        "kpis": {name: jsonable(value) for name, value in asdict(figures.kpis).items()},
        "by_tower": _rows(figures.by_tower),
        "by_month": _rows(months.select("fiscal_month", "month", pl.exclude("fiscal_month", "month"))),
        "top_vendors": _rows(figures.top_vendors),
        "heatmap": _rows(figures.tower_month),
    }
