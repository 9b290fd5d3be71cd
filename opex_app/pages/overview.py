"""Overview: budget vs committed vs actual vs available of one FY, by tower, in base currency."""

from __future__ import annotations

import reflex as rx

from opex_app.components.cards import data_table, kpi_card
from opex_app.components.layout import app_page
from opex_app.state.overview import OverviewState

COLUMNS = [
    ("tower", "Tower"),
    ("lines", "Lines"),
    ("budget", "Budget"),
    ("committed", "Committed"),
    ("actual", "Actual"),
    ("available", "Available"),
]


@app_page("/", "Overview", on_load=[OverviewState.load])
def overview_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Fiscal year", size="2"),
            rx.select(OverviewState.fy_names, value=OverviewState.fy_name, on_change=OverviewState.pick_fy, size="2"),
            align="center",
        ),
        rx.flex(
            rx.foreach(OverviewState.kpis, lambda k: kpi_card(k["label"], k["value"])),
            gap="3",
            wrap="wrap",
            width="100%",
            data_testid="kpis",
        ),
        rx.cond(
            OverviewState.rate_warning != "",
            rx.callout(
                OverviewState.rate_warning,
                icon="triangle-alert",
                color_scheme="amber",
                size="1",
                data_testid="overview-rate-warning",
            ),
        ),
        rx.card(rx.plotly(data=OverviewState.figure, use_resize_handler=True, width="100%"), width="100%"),
        data_table(
            COLUMNS,
            OverviewState.rows,
            test_id="tower-table",
            numeric={"lines", "budget", "committed", "actual", "available"},
        ),
        spacing="4",
        width="100%",
    )
