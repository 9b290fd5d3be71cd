"""Purchase orders: the list, filtered, sorted and paged by the database; the view lives in the URL."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import ACCENT, app_page
from opex_app.components.month_grid import NUMBER_CELL
from opex_app.components.pager import pager as pager_controls
from opex_app.components.po import status_badge
from opex_app.state.pos import ANY, STATUS_NAMES, PoListState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = PoListState

# (key, header, sortable, numeric)
COLUMNS = [
    ("po_number", "PO number", True, False),
    ("po_date", "PO date", True, False),
    ("fy", "FY", False, False),
    ("vendor", "Vendor", True, False),
    ("entity", "Entity", True, False),
    ("value", "Value", True, True),
    ("value_base", "base", True, True),  # the header names the base currency
    ("status", "Status", True, False),
    ("created_by", "Raised by", False, False),
]
_TRUNCATE = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap", "max_width": "12rem"}


def _filter_select(name: str, label: str, choices: Any, value: Any, any_label: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", weight="medium"),
        rx.select.root(
            rx.select.trigger(placeholder=any_label, max_width="13rem", data_testid=f"po-filter-{name}"),
            rx.select.content(
                rx.select.item(any_label, value=ANY),
                rx.foreach(choices, lambda c: rx.select.item(c, value=c)),
            ),
            value=rx.cond(value == "", ANY, value),
            on_change=lambda v: S.set_filter(name, v),
            size="1",
        ),
        spacing="1",
    )


def _status_select() -> rx.Component:
    return rx.vstack(
        rx.text("Status", size="1", color_scheme="gray", weight="medium"),
        rx.select.root(
            rx.select.trigger(placeholder="All statuses", data_testid="po-filter-status"),
            rx.select.content(
                rx.select.item("All statuses", value=ANY),
                *[rx.select.item(name.title(), value=name) for name in STATUS_NAMES],
            ),
            value=rx.cond(S.status == "", ANY, S.status),
            on_change=lambda v: S.set_filter("status", v),
            size="1",
        ),
        spacing="1",
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        _status_select(),
        _filter_select("vendor", "Vendor", S.vendor_names, S.vendor, "All vendors"),
        _filter_select("tower", "Tower", S.tower_names, S.tower, "All towers"),
        _filter_select("fy", "Fiscal year", S.fy_names, S.fy, "All FYs"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="text",
                    default_value=S.text,
                    key=S.text,
                    placeholder="PO/PR number, description, vendor",
                    size="1",
                    width="16rem",
                    data_testid="po-search",
                ),
                rx.button(rx.icon("search", size=14), "Search", type="submit", size="1", variant="soft"),
                rx.cond(
                    S.filtered,
                    rx.button(
                        "Clear",
                        type="button",
                        size="1",
                        variant="ghost",
                        on_click=S.clear_filters,
                        data_testid="po-clear",
                    ),
                ),
                spacing="2",
                align="center",
            ),
            on_submit=S.apply_search,
            reset_on_submit=False,
            width="auto",
        ),
        rx.spacer(),
        rx.cond(
            S.can_create,
            rx.link(
                rx.button(rx.icon("plus", size=14), "New PO", size="2", data_testid="po-new"),
                href=routes.PO_NEW.path,
                underline="none",
            ),
        ),
        spacing="3",
        align="end",
        wrap="wrap",
        width="100%",
    )


def _header_cell(key: str, text: str, sortable: bool, numeric: bool) -> rx.Component:
    align = {"text_align": "right"} if numeric else {}
    label: Any = rx.text("Value (", S.base_currency, ")") if text == "base" else text
    if not sortable:
        return rx.table.column_header_cell(label, white_space="nowrap", **align)
    arrow = rx.cond(
        S.sort_key == key,
        rx.icon(rx.cond(S.descending, "arrow-down", "arrow-up"), size=12),
        rx.fragment(),
    )
    return rx.table.column_header_cell(
        rx.hstack(label, arrow, spacing="1", align="center", justify="end" if numeric else "start"),
        on_click=S.sort_by(key),
        cursor="pointer",
        user_select="none",
        white_space="nowrap",
        _hover={"background": rx.color(ACCENT, 3)},
        data_testid=f"po-sort-{key}",
        **align,
    )


def _row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(row["po_number"], href=routes.PO.url(po_id=row["id"]), weight="medium", data_testid="po-link"),
            white_space="nowrap",
        ),
        rx.table.cell(row["po_date"], white_space="nowrap"),
        rx.table.cell(row["fy"]),
        rx.table.cell(row["vendor"], title=row["vendor"], **_TRUNCATE),
        rx.table.cell(row["entity"], title=row["entity"], **_TRUNCATE),
        rx.table.cell(rx.text(row["currency"], " ", row["value"]), **NUMBER_CELL),
        rx.table.cell(row["value_base"], **NUMBER_CELL),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(row["created_by"], color_scheme="gray", **_TRUNCATE),
        data_testid="po-row",
    )


def po_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[_header_cell(*c) for c in COLUMNS])),
        rx.table.body(rx.foreach(S.rows, _row)),
        size="1",
        variant="surface",
        width="100%",
        data_testid="po-table",
    )


def pager() -> rx.Component:
    return pager_controls(
        S,
        rx.text(
            "Page ",
            S.page_number,
            " of ",
            S.page_count,
            " · ",
            S.total_count,
            " POs · values in the PO's currency and in ",
            S.base_currency,
            size="2",
            color_scheme="gray",
            data_testid="po-page-info",
        ),
        test_id_prefix="po",
    )


@app_page(routes.POS, on_load=[S.load])
def po_list_page() -> rx.Component:
    return rx.vstack(
        toolbar(),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1", data_testid="po-list-error"),
        ),
        po_table(),
        rx.cond(
            S.total_count == 0,
            rx.text(
                rx.cond(S.filtered, "No PO matches this view.", "No POs yet."),
                size="2",
                color_scheme="gray",
                data_testid="po-empty",
            ),
        ),
        pager(),
        spacing="3",
        width="100%",
    )
