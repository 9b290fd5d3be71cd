"""state/charts: the figures' traces, names, axis titles, drill-down customdata and the as-of marker,
built from the dashboard frames of the hand-computed fixture in tests/domain/test_dashboard.py."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go
import polars as pl
import pytest

from opex_app.domain.analytics import MONEY, DashboardFigures, dashboard_figures
from opex_app.domain.fiscal import FiscalYear
from opex_app.state.charts import (
    AS_OF_MARKER,
    cumulative_lines,
    line_cumulative,
    tower_bars,
    utilisation_heatmap,
    vendor_bars,
)
from tests.domain.test_dashboard import AS_OF, fixture

FY27 = FiscalYear(2027)  # Apr-26 .. Mar-27: fiscal month 4 is Jul-26


@pytest.fixture(scope="module")
def figures() -> DashboardFigures:
    return dashboard_figures(fixture(), as_of_month=AS_OF)


def markers(fig: go.Figure) -> tuple[list[object], list[object]]:
    """(x of the as-of shapes, text of the as-of annotations)."""
    shapes = [s.x0 for s in fig.layout.shapes if s.name == AS_OF_MARKER]
    notes = [a.text for a in fig.layout.annotations if a.name == AS_OF_MARKER]
    return shapes, notes


def test_tower_bars_group_budget_committed_actual_with_tower_customdata(figures: DashboardFigures) -> None:
    fig = tower_bars(figures.by_tower, currency="INR", number_format="indian")
    assert [t.name for t in fig.data] == ["Budget", "Committed", "Actual"]
    assert fig.layout.barmode == "group"
    for trace in fig.data:
        assert list(trace.x) == ["Infra", "Apps", "(no tower)"]
        assert list(trace.customdata) == ["Infra", "Apps", "(no tower)"]
    assert list(fig.data[0].y) == [1700.0, 1200.0, 0.0]
    assert fig.data[2].hovertext[0] == "Infra<br>Actual: INR 950.00"
    assert fig.layout.yaxis.title.text == "Amount (INR)"
    assert fig.layout.xaxis.title.text == "Tower"
    assert fig.layout.height == 360 and fig.layout.legend.orientation == "h"


def test_hover_and_ticks_follow_the_number_format() -> None:
    frame = pl.DataFrame(
        {"tower": ["Infra"], **{c: [Decimal("12345678.90")] for c in ("budget", "committed", "actual", "available")}},
        schema={"tower": pl.String, **dict.fromkeys(("budget", "committed", "actual", "available"), MONEY)},
    )
    indian = tower_bars(frame, currency="INR", number_format="indian")
    western = tower_bars(frame, currency="USD", number_format="western", height=240)
    assert indian.data[0].hovertext[0] == "Infra<br>Budget: INR 1,23,45,678.90"
    assert western.data[0].hovertext[0] == "Infra<br>Budget: USD 12,345,678.90"
    # ticks every 2,500,000 (range 0..12.3M in about five steps) up to the first one above the top
    assert list(indian.layout.yaxis.tickvals) == [i * 2_500_000 for i in range(6)]
    assert list(indian.layout.yaxis.ticktext) == ["0", "25.00 L", "50.00 L", "75.00 L", "1.00 Cr", "1.25 Cr"]
    assert list(western.layout.yaxis.ticktext) == ["0", "2.50M", "5.00M", "7.50M", "10.00M", "12.50M"]
    assert western.layout.yaxis.title.text == "Amount (USD)" and western.layout.height == 240


def test_cumulative_lines_mark_the_as_of_month(figures: DashboardFigures) -> None:
    fig = cumulative_lines(figures.cumulative, fy=FY27, as_of_month=AS_OF, currency="INR", number_format="western")
    assert [t.name for t in fig.data] == ["Budget", "Actual + committed", "Actual"]
    assert list(fig.data[0].x) == FY27.month_labels()
    assert list(fig.data[1].y)[:5] == [130.0, 880.0, 1000.0, 1080.0, 1380.0]  # spent_cum
    assert fig.data[2].hovertext[1] == "May-26<br>Actual: INR 880.00"
    assert markers(fig) == (["Jul-26"], ["As of Jul-26"])
    assert fig.layout.yaxis.title.text == "Cumulative (INR)"
    assert fig.layout.xaxis.title.text == "Fiscal month"


@pytest.mark.parametrize("month", [0, 13])
def test_no_marker_before_or_after_the_fy(figures: DashboardFigures, month: int) -> None:
    fig = cumulative_lines(figures.cumulative, fy=FY27, as_of_month=month, currency="INR", number_format="indian")
    assert markers(fig) == ([], [])


def test_vendor_bars_horizontal_largest_on_top_with_vendor_customdata(figures: DashboardFigures) -> None:
    fig = vendor_bars(figures.top_vendors, currency="INR", number_format="indian")
    (bar,) = fig.data
    assert bar.orientation == "h"
    assert list(bar.y) == ["Beta", "Acme", "(no vendor)"] == list(bar.customdata)
    assert list(bar.x) == [650.0, 350.0, 30.0]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "Actual (INR)"


def test_heatmap_cells_carry_tower_and_month(figures: DashboardFigures) -> None:
    fig = utilisation_heatmap(figures.tower_month, fy=FY27, currency="INR", number_format="indian")
    (cells,) = fig.data
    assert list(cells.y) == ["(no tower)", "Apps", "Infra"]
    assert list(cells.x) == FY27.month_labels()
    assert list(cells.customdata[2][0]) == ["Infra", 1]
    assert list(cells.customdata[1][11]) == ["Apps", 12]
    assert list(cells.z[2][:3]) == [13.33, 750.0, 120.0]  # Infra: 80 / 600, 750 / 100, 120 / 100
    assert cells.z[0][0] is None  # (no tower) has no budget
    assert cells.hovertext[2][1] == "Infra · May-26<br>Utilisation: 750.00%<br>Actual INR 750.00 of budget INR 100.00"
    assert cells.hovertext[0][3].endswith("Utilisation: no budget<br>Actual INR 30.00 of budget INR 0.00")
    assert cells.colorbar.title.text == "Utilisation %"


@dataclass(frozen=True)
class Month:  # shaped like services.figures.MonthFigures
    fiscal_month: int
    budget_base: Decimal | None
    committed: Decimal
    actual: Decimal


def test_line_cumulative_from_month_figures() -> None:
    # budget 100 a month except a missing rate in month 2 (counts 0); committed 30 in month 3; actual 40 in 1
    budget = {m: None if m == 2 else Decimal(100) for m in range(1, 13)}
    months = [Month(m, budget[m], Decimal(30 if m == 3 else 0), Decimal(40 if m == 1 else 0)) for m in range(1, 13)]
    fig = line_cumulative(months, fy=FY27, as_of_month=2, currency="INR", number_format="indian")
    assert list(fig.data[0].y)[:4] == [100.0, 100.0, 200.0, 300.0]
    assert list(fig.data[1].y)[:4] == [40.0, 40.0, 70.0, 70.0]  # actual + committed
    assert list(fig.data[2].y)[-1] == 40.0
    assert markers(fig) == (["May-26"], ["As of May-26"])
    assert fig.layout.height == 220


def test_ticks_are_whole_amounts_even_for_a_tiny_range() -> None:
    frame = pl.DataFrame({"vendor": ["Acme", "Beta"], "actual": [Decimal("0.30"), Decimal("-0.10")]})
    fig = vendor_bars(frame.cast({"actual": MONEY}), currency="INR", number_format="western")
    assert list(fig.layout.xaxis.tickvals) == [-1.0, 0.0, 1.0]
    assert list(fig.layout.xaxis.ticktext) == ["-1", "0", "1"]
