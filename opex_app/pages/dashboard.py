"""Dashboard: one FY's figures for a filter, as of a date, kept in the URL; KPI cards, four charts that open the
budget grid when a bar or a cell is clicked, and a live indicator: the figures refresh when anyone writes."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.cards import chart_card, kpi_card
from opex_app.components.layout import ACCENT, app_page
from opex_app.state.dashboard import ANY, FILTER_PICKERS, DashboardState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = DashboardState


def _picker(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray", weight="medium"), control, spacing="1")


def _select(name: str, choices: Any, value: Any, on_change: Any, *, any_label: str | None) -> rx.Component:
    items = [rx.select.item(any_label, value=ANY)] if any_label else []
    return rx.select.root(
        rx.select.trigger(placeholder=any_label or "", max_width="12rem", data_testid=f"dash-{name}"),
        rx.select.content(*items, rx.foreach(choices, lambda c: rx.select.item(c, value=c))),
        value=rx.cond(value == "", ANY, value) if any_label else value,
        on_change=on_change,
        size="1",
    )


def live_indicator() -> rx.Component:
    """'Live · updated 09:12:03 UTC · version 42': moves by itself when someone writes."""
    return rx.hstack(
        rx.box(width="8px", height="8px", border_radius="50%", background=rx.color("grass", 9)),
        rx.text(
            "Live · updated ",
            S.updated_at,
            " · version ",
            rx.el.span(S.data_version, data_testid="live-version"),
            size="1",
            color_scheme="gray",
        ),
        align="center",
        spacing="2",
        data_testid="live-indicator",
    )


def toolbar() -> rx.Component:
    filters = [
        _picker(
            label,
            _select(
                dim,
                S.choices[dim],
                getattr(S, dim),
                lambda v, d=dim: S.set_filter(d, v),
                any_label=all_label,
            ),
        )
        for dim, label, all_label in FILTER_PICKERS
    ]
    return rx.hstack(
        _picker("Fiscal year", _select("fy", S.fy_names, S.fy, S.pick_fy, any_label=None)),
        *filters,
        _picker(
            "As of",
            rx.input(
                type="date",
                value=S.as_of_date,
                on_change=S.set_as_of,
                size="1",
                data_testid="dash-as_of",
            ),
        ),
        rx.button("Clear", size="1", variant="ghost", on_click=S.clear_filters, data_testid="dash-clear"),
        rx.spacer(),
        rx.cond(S.data_version > 0, live_indicator()),
        align="end",
        spacing="3",
        wrap="wrap",
        width="100%",
    )


def kpis() -> rx.Component:
    """Money first (budget, committed, actual, available), then how the year goes (utilisation, outturn and its
    variance): four to a row below very wide screens, where a crore figure would not fit a seventh."""
    return rx.grid(
        rx.foreach(S.kpis, lambda k: kpi_card(k["label"], k["value"], k["hint"], test_id="kpi-" + k["key"])),
        columns=rx.breakpoints(initial="2", md="4", xl="7"),
        spacing="2",
        width="100%",
        data_testid="kpis",
    )


def charts() -> rx.Component:
    return rx.grid(
        chart_card(
            "Budget, committed and actual by tower",
            S.tower_chart,
            test_id="chart-towers",
            on_click=lambda points: S.drill("towers", points),
        ),
        chart_card("Cumulative budget against actual + committed", S.cumulative_chart, test_id="chart-cumulative"),
        chart_card(
            "Top 10 vendors by actual",
            S.vendor_chart,
            test_id="chart-vendors",
            on_click=lambda p: S.drill("vendors", p),
        ),
        chart_card(
            "Utilisation by tower and month",
            S.heatmap_chart,
            test_id="chart-heatmap",
            on_click=lambda p: S.drill("heatmap", p),
        ),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="3",
        width="100%",
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.foreach(
            S.notices,
            lambda n: rx.callout(n, icon="info", color_scheme="amber", size="1", data_testid="dash-notice"),
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="circle-alert", color_scheme="red", size="1", data_testid="dash-error"),
        ),
    )


@app_page(routes.DASHBOARD, on_load=[DashboardState.load])
def dashboard_page() -> rx.Component:
    # The cards and charts stay mounted while the figures load, so the browser fetches and parses plotly
    # while the server computes, instead of after.
    return rx.vstack(
        toolbar(),
        messages(),
        rx.cond(~S.loaded, rx.center(rx.spinner(color=ACCENT), width="100%", padding="1rem")),
        rx.vstack(
            rx.text(
                "Amounts in ",
                rx.text.strong(S.base_currency),
                ", ",
                S.as_of_label,
                ". Click a bar or a cell to open its budget lines.",
                size="1",
                color_scheme="gray",
                data_testid="dash-as-of-label",
            ),
            kpis(),
            charts(),
            spacing="3",
            width="100%",
            display=rx.cond(S.error == "", "flex", "none"),
        ),
        spacing="3",
        width="100%",
    )
