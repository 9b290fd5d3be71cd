"""One PO: header and status, its allocations to budget lines, invoices, history, and the workflow actions
the user may take on it now."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.detail import back_link, facts_list, history_table, section
from opex_app.components.dialogs import form_dialog
from opex_app.components.layout import app_page
from opex_app.components.month_grid import NUMBER_CELL
from opex_app.components.po import (
    APPROVE,
    OTHER_ACTIONS,
    REJECT,
    decision_buttons,
    decision_dialogs,
    decision_messages,
    status_badge,
)
from opex_app.state.po_detail import PoDetailState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = PoDetailState


def _muted(text: str) -> rx.Component:
    return rx.text(text, size="2", color_scheme="gray")


def actions() -> rx.Component:
    has = S.actions.contains
    buttons = [
        rx.cond(
            has(action),
            rx.button(
                rx.icon(icon, size=14),
                label,
                size="2",
                color_scheme=color,  # type: ignore[arg-type]
                variant=variant,  # type: ignore[arg-type]
                on_click=S.ask(action),
                data_testid=f"po-{action}",
            ),
        )
        for action, label, icon, color, variant in OTHER_ACTIONS
    ]
    approve, reject = decision_buttons(S, S.po_ref, S.version, S.po_number)
    return rx.hstack(
        rx.cond(
            S.editable,
            rx.link(
                rx.button(rx.icon("pencil", size=14), "Edit", size="2", variant="soft", data_testid="po-edit"),
                href=routes.PO_EDIT.url(po_id=S.po_ref),
                underline="none",
            ),
        ),
        buttons[0],
        rx.cond(has(APPROVE), approve),
        rx.cond(has(REJECT), reject),
        *buttons[1:],
        spacing="2",
        wrap="wrap",
        data_testid="po-actions",
    )


def po_header() -> rx.Component:
    return rx.hstack(
        back_link("Purchase orders", routes.POS.path, test_id="back-to-pos"),
        rx.heading(S.po_number, size="5", data_testid="po-number"),
        status_badge(S.status, size="2", data_testid="po-status"),
        rx.badge("v", S.version, variant="outline", color_scheme="gray", data_testid="po-version"),
        rx.spacer(),
        actions(),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def _notes() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.rejection_reason != "",
            rx.callout(
                rx.text(rx.text.strong("Rejected: "), S.rejection_reason),
                icon="message-square-warning",
                color_scheme="red",
                size="1",
                width="100%",
                data_testid="po-rejection",
            ),
        ),
        rx.cond(
            S.approval_comment != "",
            rx.callout(
                rx.text(rx.text.strong("Approval comment: "), S.approval_comment),
                icon="message-square",
                color_scheme="amber",
                size="1",
                width="100%",
                data_testid="po-approval-comment",
            ),
        ),
    )


def details() -> rx.Component:
    return facts_list(S.header, test_id="po-details")


def _num(value: Any, **props: Any) -> rx.Component:
    return rx.table.cell(value, **NUMBER_CELL, **props)


def lines_table() -> rx.Component:
    def row(line: Any) -> rx.Component:
        return rx.table.row(
            rx.table.cell(
                rx.link(line["uid"], href=routes.BUDGET_LINE.url(line_id=line["budget_line_id"]), weight="medium"),
                white_space="nowrap",
            ),
            rx.table.cell(line["description"], max_width="20rem", overflow="hidden", text_overflow="ellipsis"),
            _num(line["amount"]),
            _num(line["amount_base"]),
            rx.table.cell(line["service_months"], white_space="nowrap"),
            _num(line["invoiced"]),
            _num(line["open"]),
            data_testid="po-line",
        )

    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("UID"),
                rx.table.column_header_cell("Budget line"),
                rx.table.column_header_cell(rx.text("Amount (", S.currency, ")"), **NUMBER_CELL),
                rx.table.column_header_cell(rx.text("Base (", S.base_currency, ")"), **NUMBER_CELL),
                rx.table.column_header_cell("Service months"),
                rx.table.column_header_cell("Invoiced", **NUMBER_CELL),
                rx.table.column_header_cell("Left on PO", **NUMBER_CELL),
            )
        ),
        rx.table.body(
            rx.foreach(S.lines, row),
            rx.table.row(
                rx.table.cell(rx.text("Total", weight="bold")),
                rx.table.cell(""),
                _num(S.lines_total["amount"], font_weight="bold", data_testid="po-lines-total"),
                _num(S.lines_total["amount_base"], font_weight="bold"),
                rx.table.cell(""),
                _num(S.lines_total["invoiced"], font_weight="bold"),
                rx.table.cell(""),
                background=rx.color("gray", 2),
            ),
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid="po-lines",
    )


INVOICE_COLUMNS = [
    ("invoice_number", "Invoice", False),
    ("invoice_date", "Date", False),
    ("uid", "UID", False),
    ("amount", "Amount", True),
    ("amount_base", "Base", True),
    ("remarks", "Remarks", False),
]


def invoices_table() -> rx.Component:
    return rx.cond(
        S.invoices.length() == 0,
        _muted("No invoices booked against this PO yet."),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(h, **(NUMBER_CELL if num else {})) for _, h, num in INVOICE_COLUMNS]
                )
            ),
            rx.table.body(
                rx.foreach(
                    S.invoices,
                    lambda inv: rx.table.row(
                        *[
                            rx.table.cell(inv[key], **(NUMBER_CELL if num else {"white_space": "nowrap"}))
                            for key, _, num in INVOICE_COLUMNS
                        ],
                        data_testid="po-invoice",
                    ),
                )
            ),
            size="1",
            variant="surface",
            width="100%",
            data_testid="po-invoices",
        ),
    )


def _history_what(h: Any) -> rx.Component:
    return rx.vstack(
        rx.cond(
            h["from"] != "",
            rx.hstack(
                status_badge(h["from"], size="1"),
                rx.icon("arrow-right", size=12),
                status_badge(h["to"], size="1"),
                spacing="1",
                align="center",
            ),
            rx.text(h["action"], size="2", weight="medium"),
        ),
        rx.cond(h["comment"] != "", rx.text("“", h["comment"], "”", size="2", font_style="italic")),
        rx.cond(h["changes"] != "", rx.text(h["changes"], size="1", color_scheme="gray", white_space="pre-line")),
        spacing="1",
        align="start",
    )


def history() -> rx.Component:
    return history_table(
        S.history,
        row_test_id="po-history-row",
        what=[("What", lambda h: rx.table.cell(_history_what(h)))],
        data_testid="po-history",
    )


def confirm_dialog() -> rx.Component:
    """Submit, back to draft, close or cancel: say what it does, with an optional comment."""
    return form_dialog(
        title=rx.dialog.title(S.confirm_title),
        description=rx.dialog.description(S.confirm_text, size="2"),
        body=[
            rx.text_area(
                name="comment",
                placeholder="Comment (optional, shown in the history)",
                rows="2",
                width="100%",
                data_testid="confirm-comment",
            ),
        ],
        error=rx.cond(
            S.dialog_error != "",
            rx.callout(S.dialog_error, icon="triangle-alert", color_scheme="red", size="1"),
        ),
        cancel=rx.button("Back", type="button", variant="soft", color_scheme="gray", on_click=S.close_confirm),
        submit=rx.button("Confirm", type="submit", data_testid="confirm-ok"),
        form_key=S.dialog_key,
        on_submit=S.confirm,
        open=S.confirm_action != "",
        on_close=S.close_confirm,
        max_width="30rem",
        test_id="confirm-dialog",
    )


@app_page(routes.PO, on_load=[S.load])
def po_detail_page() -> rx.Component:
    return rx.cond(
        S.not_found != "",
        rx.callout(S.not_found, icon="circle-alert", color_scheme="red", data_testid="po-not-found"),
        rx.vstack(
            po_header(),
            decision_messages(S),
            _notes(),
            section("Details", details(), test_id="po-details-card"),
            section("Allocation to budget lines", lines_table(), test_id="po-lines-card"),
            section("Invoices", invoices_table(), test_id="po-invoices-card"),
            section("History", history(), test_id="po-history-card"),
            decision_dialogs(S),
            confirm_dialog(),
            spacing="3",
            width="100%",
        ),
    )
