"""FX rates (Admin): the rate in force per currency, a form to add a rate, and a currency's history.

History is never overwritten: a second rate of the same date is a correction, recorded as a new row."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.cards import data_table
from opex_app.components.layout import ACCENT, app_page
from opex_app.state.fx import FxState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = FxState

CURRENT_COLUMNS = [
    ("currency", "Currency"),
    ("rate", "Rate"),
    ("from", "Effective from"),
    ("by", "Set by"),
    ("at", "Set at"),
    ("next", "Next change"),
]
HISTORY_COLUMNS = [
    ("from", "Effective from"),
    ("rate", "Rate"),
    ("by", "Set by"),
    ("at", "Set at"),
    ("status", "Status"),
]
_NUMERIC = frozenset({"rate"})


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray", weight="medium"), control, spacing="1")


def _add_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            _field(
                "Currency",
                rx.input(name="currency", placeholder="USD", max_length=3, width="6rem", data_testid="fx-currency"),
            ),
            _field(
                "Rate (base units per unit)",
                rx.input(name="rate", placeholder="83.25", input_mode="decimal", width="10rem", data_testid="fx-rate"),
            ),
            _field("Effective from", rx.input(name="effective_from", type="date", data_testid="fx-from")),
            rx.button(rx.icon("plus", size=14), "Add rate", type="submit", data_testid="fx-submit"),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        on_submit=S.add_rate,
        reset_on_submit=False,
    )


def _current_table() -> rx.Component:
    def row(item: Any) -> rx.Component:
        return rx.table.row(
            *[
                rx.table.cell(item[key], text_align="right" if key in _NUMERIC else "left", white_space="nowrap")
                for key, _ in CURRENT_COLUMNS
            ],
            on_click=S.show_history(item["currency"]),
            cursor="pointer",
            background=rx.cond(item["currency"] == S.selected, rx.color(ACCENT, 3), "transparent"),
            _hover={"background": rx.color(ACCENT, 2)},
            data_testid="fx-current-row",
        )

    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(header, text_align="right" if key in _NUMERIC else "left")
                    for key, header in CURRENT_COLUMNS
                ]
            )
        ),
        rx.table.body(rx.foreach(S.rows, row)),
        size="1",
        variant="surface",
        width="100%",
        data_testid="fx-table",
    )


@app_page(routes.FX, on_load=[FxState.load])
def fx_page() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.heading("Add a rate", size="3"),
                rx.text(
                    "Units of base currency per unit of the currency, from a date until the next rate. "
                    "A second rate for the same date corrects it; the history is kept.",
                    size="2",
                    color_scheme="gray",
                ),
                _add_form(),
                spacing="2",
            ),
            width="100%",
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, color_scheme="red", icon="triangle-alert", data_testid="fx-error", width="100%"),
        ),
        rx.cond(
            S.message != "",
            rx.callout(S.message, color_scheme="green", icon="check", data_testid="fx-message", width="100%"),
        ),
        rx.heading(f"Rates in force on {S.as_of}", size="3"),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(
                _current_table(),
                rx.text("Click a currency to see its history.", size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
            rx.text("No FX rates yet: add one above, or import a file.", size="2", data_testid="fx-empty"),
        ),
        rx.cond(
            S.selected != "",
            rx.vstack(
                rx.heading(f"History of {S.selected}, newest first", size="3"),
                data_table(HISTORY_COLUMNS, S.history, test_id="fx-history", numeric=_NUMERIC),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )
