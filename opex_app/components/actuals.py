"""Actuals pieces: the Unlinked actuals table and its link dialog (budget line by UID search, then
optionally one of that line's PO lines).

`U` is `state.actuals.UnlinkedActualsState`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import ACCENT
from opex_app.components.month_grid import NUMBER_CELL

QUEUE_COLUMNS = [
    ("invoice_number", "Invoice", False),
    ("invoice_date", "Date", False),
    ("vendor", "Vendor", False),
    ("amount", "Amount", True),
    ("amount_base", "Base", True),
    ("uid_ref", "UID as typed", False),
    ("po_ref", "PO as typed", False),
]


def queue_table(U: Any) -> rx.Component:
    def row(r: Any) -> rx.Component:
        return rx.table.row(
            rx.table.cell(
                rx.button(
                    rx.icon("link", size=14),
                    "Link",
                    size="1",
                    variant="soft",
                    on_click=U.start_link(r["id"]),
                    data_testid="unlinked-link-button",
                ),
            ),
            rx.table.cell(
                rx.link(
                    r["invoice_number"],
                    href=routes.ACTUAL.url(actual_id=r["id"]),
                    weight="medium",
                    data_testid="unlinked-link",
                ),
                white_space="nowrap",
            ),
            *[
                rx.table.cell(r[key], **(NUMBER_CELL if num else {} if key == "vendor" else {"white_space": "nowrap"}))
                for key, _, num in QUEUE_COLUMNS[1:]
            ],
            rx.table.cell(
                rx.hstack(
                    rx.icon("triangle-alert", size=14, color=rx.color("amber", 10), flex_shrink="0"),
                    rx.text(r["reason"], size="1"),
                    spacing="1",
                    align="start",
                ),
                min_width="12rem",
                data_testid="unlinked-reason",
            ),
            data_testid="unlinked-row",
        )

    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(""),
                *[
                    rx.table.column_header_cell(
                        *((h, " (", U.base_currency, ")") if key == "amount_base" else (h,)),
                        **(NUMBER_CELL if num else {"white_space": "nowrap"}),
                    )
                    for key, h, num in QUEUE_COLUMNS
                ],
                rx.table.column_header_cell("Why unlinked"),
            )
        ),
        rx.table.body(rx.foreach(U.rows, row)),
        size="1",
        variant="surface",
        width="100%",
        data_testid="unlinked-table",
    )


def _choice_list(items: Any, render: Any, test_id: str) -> rx.Component:
    return rx.box(
        rx.foreach(items, render),
        max_height="14rem",
        overflow_y="auto",
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="6px",
        width="100%",
        data_testid=test_id,
    )


def _line_choice(U: Any, c: Any) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(c["uid"], size="2", weight="bold", white_space="nowrap"),
            rx.text(c["description"], size="2", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
            rx.spacer(),
            rx.text(c["detail"], size="1", color_scheme="gray", white_space="nowrap"),
            spacing="2",
            align="center",
            width="100%",
        ),
        on_click=U.pick_line(c["id"]),
        cursor="pointer",
        padding="0.35rem 0.6rem",
        _hover={"background": rx.color(ACCENT, 3)},
        data_testid="link-line-choice",
    )


def _po_choice(U: Any, c: Any) -> rx.Component:
    picked = U.picked_po_line == c["id"]
    return rx.hstack(
        rx.icon(rx.cond(picked, "circle-check", "circle"), size=14, color=rx.color(ACCENT, 10), flex_shrink="0"),
        rx.text(c["label"], size="2"),
        on_click=U.pick_po_line(c["id"]),
        cursor="pointer",
        align="center",
        spacing="2",
        padding="0.35rem 0.6rem",
        background=rx.cond(picked, rx.color(ACCENT, 3), "transparent"),
        _hover={"background": rx.color(ACCENT, 3)},
        width="100%",
        data_testid="link-po-choice",
    )


def _line_step(U: Any) -> rx.Component:
    return rx.vstack(
        rx.text("1. Budget line of ", U.link_fy, size="2", weight="medium"),
        rx.cond(
            U.picked_line != "",
            rx.hstack(
                rx.badge(U.picked_uid, size="2", color_scheme="teal", data_testid="link-picked-line"),
                rx.text(U.picked_description, size="2", color_scheme="gray"),
                rx.spacer(),
                rx.button("Change", size="1", variant="ghost", on_click=U.unpick_line, data_testid="link-change-line"),
                align="center",
                width="100%",
            ),
            rx.vstack(
                rx.input(
                    value=U.line_text,
                    on_change=U.search_line,
                    placeholder="Type a UID or description",
                    auto_complete=False,
                    width="100%",
                    data_testid="link-line-search",
                ),
                rx.cond(
                    U.line_choices.length() > 0,
                    _choice_list(U.line_choices, lambda c: _line_choice(U, c), "link-line-choices"),
                    rx.text("No budget line of this FY matches.", size="1", color_scheme="gray"),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        spacing="1",
        width="100%",
    )


def _po_step(U: Any) -> rx.Component:
    return rx.cond(
        U.picked_line != "",
        rx.vstack(
            rx.text("2. PO line (optional)", size="2", weight="medium"),
            rx.input(
                value=U.po_text,
                on_change=U.search_po,
                placeholder="PO number (else the POs of the invoice's vendor)",
                auto_complete=False,
                width="100%",
                data_testid="link-po-search",
            ),
            rx.cond(
                U.po_choices.length() > 0,
                _choice_list(U.po_choices, lambda c: _po_choice(U, c), "link-po-choices"),
                rx.text("No PO found that allocates to this line.", size="1", color_scheme="gray"),
            ),
            rx.text(
                "Booked against a PO line, the invoice reduces that PO's committed; without one it only adds to "
                "the line's actual.",
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            width="100%",
        ),
    )


def link_dialog(U: Any) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(U.link_title),
            rx.dialog.description(U.link_summary, size="2", color_scheme="gray"),
            rx.vstack(
                _line_step(U),
                _po_step(U),
                rx.cond(
                    U.link_error != "",
                    rx.callout(
                        U.link_error, icon="triangle-alert", color_scheme="red", size="1", data_testid="link-error"
                    ),
                ),
                rx.hstack(
                    rx.button(
                        "Cancel",
                        type="button",
                        variant="soft",
                        color_scheme="gray",
                        on_click=U.close_link,
                        data_testid="link-cancel",
                    ),
                    rx.button(
                        rx.icon("link", size=14),
                        "Link",
                        disabled=U.picked_line == "",
                        on_click=U.confirm_link,
                        data_testid="link-confirm",
                    ),
                    justify="end",
                    spacing="2",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="0.75rem",
            ),
            max_width="40rem",
            data_testid="link-dialog",
        ),
        open=U.link_ref != 0,
        on_open_change=lambda _: U.close_link(),
    )
