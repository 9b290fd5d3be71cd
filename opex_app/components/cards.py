"""Reusable display pieces: KPI cards, chart cards (plotly, optionally clickable) and a simple data table."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx
from reflex_base.components.component import field
from reflex_base.event import EventHandler
from reflex_base.vars.base import Var
from reflex_components_plotly.plotly import PlotlyCartesian


def kpi_card(
    label: rx.Var | str, value: rx.Var | str, hint: rx.Var | str | None = None, *, test_id: Any = None
) -> rx.Component:
    """A figure with its label above and, when given, what it means (or its exact amount) below."""
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray", weight="medium"),
            rx.text(value, size="5", weight="bold", white_space="nowrap", data_testid="kpi-value"),
            *([rx.text(hint, size="1", color_scheme="gray", data_testid="kpi-hint")] if hint is not None else []),
            spacing="1",
        ),
        width="100%",
        min_width="0",
        data_testid=test_id,
    )


def _clicked_customdata(event: Var) -> tuple[Var[list[Any]]]:
    """The `customdata` of each clicked point: the drill-down target the chart builder put on the trace.

    Reflex's own plotly click signature passes x, y and indexes but not customdata, hence this one."""
    return (Var(_js_expr=f"(({event})?.points ?? []).map((p) => ({{customdata: p.customdata ?? null}}))"),)


class Plot(PlotlyCartesian):
    """rx.plotly on plotly's cartesian bundle (bars, lines, heatmaps: about a third of the full bundle's
    download and parse time), whose on_click hands the handler the clicked points' customdata."""

    on_click: EventHandler[_clicked_customdata] = field(  # type: ignore[type-arg,valid-type]
        doc="Fired when a point is clicked: [{customdata}]."
    )


def plot(figure: Any, *, on_click: Any = None, height: str = "360px", test_id: str | None = None) -> rx.Component:
    """One figure (a state var of `state.charts.figure_data`) at full width; with `on_click`, clicking a point calls it
    with the points' customdata (the drill-down targets)."""
    props: dict[str, Any] = {
        "data": figure.to(go.Figure) if isinstance(figure, Var) else figure,
        "use_resize_handler": True,
        "width": "100%",
        "height": height,
        "config": {"displayModeBar": False, "responsive": True},  # the toolbar covered the legends
    }
    if test_id is not None:
        props["data_testid"] = test_id
    if on_click is not None:
        props["on_click"] = on_click
    return Plot.create(**props)


def chart_card(title: str, figure: Any, *, test_id: str, on_click: Any = None, height: str = "360px") -> rx.Component:
    """A titled card holding one plot (see `plot`)."""
    return rx.card(
        rx.vstack(rx.text(title, size="2", weight="bold"), plot(figure, on_click=on_click, height=height), spacing="1"),
        width="100%",
        min_width="0",
        data_testid=test_id,
    )


def data_table(
    columns: list[tuple[str, str]],
    rows: rx.Var | list,
    *,
    test_id: str,
    numeric: frozenset[str] | set[str] = frozenset(),
) -> rx.Component:
    """A dense table of `rows` (list of dicts of strings); `columns` is [(key, header)]."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(header, text_align="right" if key in numeric else "left")
                    for key, header in columns
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda row: rx.table.row(
                    *[
                        rx.table.cell(row[key], text_align="right" if key in numeric else "left", white_space="nowrap")
                        for key, _ in columns
                    ]
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid=test_id,
    )
