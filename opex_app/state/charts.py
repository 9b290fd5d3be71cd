"""The dashboard's plotly figures, built from the small frames of `domain.analytics.dashboard`, and
`figure_data`, the plain dict a state var keeps of one (components.cards.plot draws it).

Plain functions, no Reflex and no settings, beside the states that call them: the caller passes the base
currency (axis titles), the user's number format (hover text and amount ticks, which plotly cannot group in
lakh/crore itself) and the FY (month labels). Amounts are Decimal up to here and become floats only as plot coordinates.

Drill-down: every clickable trace carries `customdata` naming what a click should open the budget grid
filtered to: the tower name on tower bars, the vendor name on vendor bars, [tower, fiscal_month] on heatmap
cells. Labels of missing dimensions (`(no tower)`, `(no vendor)`) are passed through as they are.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import polars as pl

from opex_app.domain.analytics.dashboard import MonthRow, cumulative_of_months
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.money import NumberFormat, format_amount, format_short

TOWER_SERIES = (("budget", "Budget"), ("committed", "Committed"), ("actual", "Actual"))
CUMULATIVE_SERIES = (("budget_cum", "Budget"), ("spent_cum", "Actual + committed"), ("actual_cum", "Actual"))
AS_OF_MARKER = "as-of"  # the `name` of the as-of month's shape, so pages and tests can find it
# utilisation colours: pale to deep blue up to 100 %, then red up to 150 % and beyond
_UTILISATION_SCALE = [[0.0, "#eef4fb"], [2 / 3, "#1f5fa8"], [1.0, "#c0392b"]]
_UTILISATION_MAX = 150


def _floats(values: Iterable[Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _amount(value: Decimal | None, currency: str, number_format: NumberFormat) -> str:
    return "–" if value is None else f"{currency} {format_amount(value, number_format)}"


def _values(frame: pl.DataFrame, series: Sequence[tuple[str, str]]) -> list[Decimal | None]:
    """Every value of the series' columns (for the axis range)."""
    return [v for column, _ in series for v in frame[column]]


def _money_ticks(values: Iterable[Decimal | None], number_format: NumberFormat) -> dict[str, object]:
    """About five round tick values spanning 0 and the values, labelled in the short form of the format.

    Plotly's own tick formats group by thousands only (and say G for a billion), so the ticks are given.
    """
    present = [float(v) for v in values if v is not None]
    low, high = min([0.0, *present]), max([0.0, *present])
    if high == low:
        return {}
    raw = (high - low) / 5
    power = 10 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))  # labels show no paise
    ticks = [i * step for i in range(math.floor(low / step), math.ceil(high / step) + 1)]
    labels = [format_short(Decimal(str(t)), number_format) for t in ticks]
    return {"tickmode": "array", "tickvals": ticks, "ticktext": labels}


def _compact(fig: go.Figure, *, height: int, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        xaxis={"title": {"text": x_title}, "automargin": True},
        yaxis={"title": {"text": y_title}, "automargin": True},
        hoverlabel={"align": "left"},
    )
    return fig


def tower_bars(frame: pl.DataFrame, *, currency: str, number_format: NumberFormat, height: int = 360) -> go.Figure:
    """Grouped bars budget / committed / actual per tower (the `by_tower` frame, in its order)."""
    towers = frame["tower"].to_list()
    fig = go.Figure()
    for column, name in TOWER_SERIES:
        values = frame[column].to_list()
        hover = [f"{t}<br>{name}: {_amount(v, currency, number_format)}" for t, v in zip(towers, values, strict=True)]
        fig.add_bar(name=name, x=towers, y=_floats(values), customdata=towers, hovertext=hover, hoverinfo="text")
    fig.update_layout(barmode="group")
    fig.update_yaxes(**_money_ticks(_values(frame, TOWER_SERIES), number_format))
    return _compact(fig, height=height, x_title="Tower", y_title=f"Amount ({currency})")


def _mark_month(fig: go.Figure, label: str, text: str) -> None:
    """A dashed vertical line at the category `label`, with `text` at its top, inside the plot (above it, the
    label ran into the legend)."""
    line = {"dash": "dot", "width": 1, "color": "#666"}
    fig.add_shape(type="line", name=AS_OF_MARKER, xref="x", yref="paper", x0=label, x1=label, y0=0, y1=1, line=line)
    fig.add_annotation(
        name=AS_OF_MARKER,
        x=label,
        xref="x",
        y=1,
        yref="paper",
        text=text,
        showarrow=False,
        yanchor="top",
        xanchor="right",
        bgcolor="rgba(255,255,255,0.7)",
    )


def cumulative_lines(
    frame: pl.DataFrame,
    *,
    fy: FiscalYear,
    as_of_month: int,
    currency: str,
    number_format: NumberFormat,
    height: int = 320,
) -> go.Figure:
    """Cumulative budget against actual + committed, and actual, by fiscal month (the `cumulative_by_month`
    frame), the as-of month marked. Before or after the FY (as_of_month 0 or 13) nothing is marked."""
    labels = fy.month_labels()
    months = [labels[m - 1] for m in frame["fiscal_month"].to_list()]
    fig = go.Figure()
    for column, name in CUMULATIVE_SERIES:
        values = frame[column].to_list()
        hover = [f"{m}<br>{name}: {_amount(v, currency, number_format)}" for m, v in zip(months, values, strict=True)]
        fig.add_scatter(name=name, x=months, y=_floats(values), mode="lines+markers", hovertext=hover, hoverinfo="text")
    if 1 <= as_of_month <= 12:
        _mark_month(fig, labels[as_of_month - 1], f"As of {labels[as_of_month - 1]}")
    fig.update_xaxes(categoryorder="array", categoryarray=labels)
    fig.update_yaxes(**_money_ticks(_values(frame, CUMULATIVE_SERIES), number_format))
    return _compact(fig, height=height, x_title="Fiscal month", y_title=f"Cumulative ({currency})")


def line_cumulative(
    months: Sequence[MonthRow],
    *,
    fy: FiscalYear,
    as_of_month: int,
    currency: str,
    number_format: NumberFormat,
    height: int = 220,
) -> go.Figure:
    """The small cumulative chart of one line's twelve months (e.g. `services.figures.MonthFigures`)."""
    frame = cumulative_of_months(months)
    return cumulative_lines(
        frame, fy=fy, as_of_month=as_of_month, currency=currency, number_format=number_format, height=height
    )


def vendor_bars(frame: pl.DataFrame, *, currency: str, number_format: NumberFormat, height: int = 360) -> go.Figure:
    """Horizontal bars of the `top_vendors` frame, the largest on top."""
    vendors, values = frame["vendor"].to_list(), frame["actual"].to_list()
    hover = [f"{v}<br>Actual: {_amount(a, currency, number_format)}" for v, a in zip(vendors, values, strict=True)]
    bar = go.Bar(name="Actual", x=_floats(values), y=vendors, orientation="h", customdata=vendors)
    fig = go.Figure(bar.update(hovertext=hover, hoverinfo="text"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(**_money_ticks(values, number_format))
    return _compact(fig, height=height, x_title=f"Actual ({currency})", y_title="Vendor")


def utilisation_heatmap(
    frame: pl.DataFrame, *, fy: FiscalYear, currency: str, number_format: NumberFormat, height: int = 360
) -> go.Figure:
    """Tower × fiscal month utilisation % (the `tower_month_utilisation` frame: twelve months per tower),
    towers top-down in the frame's order; a cell without budget has no colour."""
    labels = fy.month_labels()
    towers = frame["tower"].unique(maintain_order=True).to_list()
    cells = [frame.filter(pl.col("tower") == t).sort("fiscal_month") for t in towers]
    heatmap = go.Heatmap(
        z=[_floats(c["utilisation_pct"]) for c in cells],
        x=labels,
        y=towers,
        customdata=[[[t, m] for m in c["fiscal_month"]] for t, c in zip(towers, cells, strict=True)],
        hovertext=[_cell_texts(t, c, labels, currency, number_format) for t, c in zip(towers, cells, strict=True)],
        hoverinfo="text",
    )
    heatmap.update(colorscale=_UTILISATION_SCALE, zmin=0, zmax=_UTILISATION_MAX, xgap=1, ygap=1)
    heatmap.update(colorbar={"title": {"text": "Utilisation %"}, "thickness": 12})
    fig = go.Figure(heatmap)
    fig.update_yaxes(autorange="reversed")
    return _compact(fig, height=height, x_title="Fiscal month", y_title="Tower")


def _cell_texts(
    tower: str, cells: pl.DataFrame, labels: list[str], currency: str, number_format: NumberFormat
) -> list[str]:
    rows = cells.select("fiscal_month", "budget", "actual", "utilisation_pct").iter_rows()
    return [
        f"{tower} · {labels[month - 1]}<br>Utilisation: {'no budget' if pct is None else f'{pct}%'}<br>"
        f"Actual {_amount(actual, currency, number_format)} of budget {_amount(budget, currency, number_format)}"
        for month, budget, actual, pct in rows
    ]


def figure_data(figure: go.Figure) -> dict[str, Any]:
    """A figure as the plain dict a state var keeps: its JSON without the template.

    A go.Figure var costs a template (~7 KB) in every delta, a deep copy at each serialisation and a full
    re-validation each time the state is read back from Redis; the page adds the template for the colour
    mode anyway (rx.plotly merges it in the browser)."""
    data: dict[str, Any] = json.loads(figure.to_json(validate=False))
    data.get("layout", {}).pop("template", None)
    return data
