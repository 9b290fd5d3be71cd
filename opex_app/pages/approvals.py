"""Approvals inbox: the submitted POs waiting for this approver (never their own), approved or rejected from
the list with the same dialogs as the PO page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.month_grid import NUMBER_CELL
from opex_app.components.po import decision_buttons, decision_dialogs, decision_messages
from opex_app.state.approvals import ApprovalsState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = ApprovalsState


def _row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(row["po_number"], href=routes.PO.url(po_id=row["id"]), weight="medium", data_testid="inbox-po"),
            white_space="nowrap",
        ),
        rx.table.cell(row["po_date"], white_space="nowrap"),
        rx.table.cell(
            rx.text(row["vendor"], size="2"),
            rx.text(row["entity"], size="1", color_scheme="gray"),
            max_width="16rem",
        ),
        rx.table.cell(rx.text(row["currency"], " ", row["value"]), **NUMBER_CELL),
        rx.table.cell(row["value_base"], **NUMBER_CELL),
        rx.table.cell(
            rx.text(row["created_by"], size="2"),
            rx.text(row["submitted_at"], size="1", color_scheme="gray"),
            white_space="nowrap",
        ),
        rx.table.cell(
            rx.hstack(*decision_buttons(S, row["id"], row["version"], row["po_number"], size="1"), spacing="2"),
            white_space="nowrap",
        ),
        align="center",
        data_testid="inbox-row",
    )


def inbox_table() -> rx.Component:
    headers = [
        ("PO number", {}),
        ("PO date", {}),
        ("Vendor · entity", {}),
        ("Value", NUMBER_CELL),
        (rx.text("Value (", S.base_currency, ")"), NUMBER_CELL),
        ("Raised by · submitted (UTC)", {"white_space": "nowrap"}),
        ("", {}),
    ]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, **props) for h, props in headers])),
        rx.table.body(rx.foreach(S.rows, _row)),
        size="1",
        variant="surface",
        width="100%",
        data_testid="inbox-table",
    )


@app_page(routes.APPROVALS, on_load=[S.load])
def approvals_page() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Submitted POs raised by someone else, longest waiting first. Approving a PO that takes a budget "
            "line over budget shows the figures first.",
            size="2",
            color_scheme="gray",
        ),
        decision_messages(S),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1")),
        rx.cond(
            S.rows.length() == 0,
            rx.callout("Nothing waits for your approval.", icon="inbox", size="1", data_testid="inbox-empty"),
            inbox_table(),
        ),
        decision_dialogs(S),
        spacing="3",
        width="100%",
    )
