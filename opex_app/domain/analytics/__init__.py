"""Pure analytics over the figures model (issue 8): periods, forecast outturn, variance report, dashboard.

Plain Polars frames in, Decimal(18,2) money out; no database, no Reflex. The services read the figures
model into FIGURES_SCHEMA and call these functions; the page, the export and the API show their result.
"""

from opex_app.domain.analytics.dashboard import (
    TOP_VENDORS,
    DashboardFigures,
    Kpis,
    MonthRow,
    by_tower,
    cumulative_by_month,
    cumulative_of_months,
    dashboard_figures,
    kpis,
    top_vendors,
    tower_month_utilisation,
)
from opex_app.domain.analytics.filters import FILTER_DIMENSIONS, FILTER_LABELS, Filters
from opex_app.domain.analytics.outturn import outturn_by_line
from opex_app.domain.analytics.periods import FY, YTD, Period, as_of_month, parse_period
from opex_app.domain.analytics.schema import FIGURES_SCHEMA, MONEY, FiguresSchemaError, validate_figures
from opex_app.domain.analytics.variance import (
    LEVEL_NAMES,
    LEVELS,
    REPORT_COLUMNS,
    Level,
    exceeds_thresholds,
    flag,
    variance_report,
)

__all__ = [
    "FIGURES_SCHEMA",
    "FILTER_DIMENSIONS",
    "FILTER_LABELS",
    "FY",
    "LEVELS",
    "LEVEL_NAMES",
    "MONEY",
    "REPORT_COLUMNS",
    "TOP_VENDORS",
    "YTD",
    "DashboardFigures",
    "FiguresSchemaError",
    "Filters",
    "Kpis",
    "Level",
    "MonthRow",
    "Period",
    "as_of_month",
    "by_tower",
    "cumulative_by_month",
    "cumulative_of_months",
    "dashboard_figures",
    "exceeds_thresholds",
    "flag",
    "kpis",
    "outturn_by_line",
    "parse_period",
    "top_vendors",
    "tower_month_utilisation",
    "validate_figures",
    "variance_report",
]
