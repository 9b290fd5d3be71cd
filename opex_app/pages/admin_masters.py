"""Master data (Admin): towers, budget heads, cost centres, vendors and entities (search, how often each is
used, create, rename, deactivate, merge a duplicate into its survivor), and currencies and fiscal years
(activate, deactivate). Nothing is deleted: history keeps every name."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.pager import pager
from opex_app.state.admin_masters import MastersState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = MastersState

TABS = [
    ("tower", "Towers"),
    ("budget_head", "Budget heads"),
    ("cost_centre", "Cost centres"),
    ("vendor", "Vendors"),
    ("entity", "Entities"),
    ("currency", "Currencies"),
    ("fiscal_year", "Fiscal years"),
]


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            *[rx.tabs.trigger(label, value=value, data_testid=f"masters-tab-{value}") for value, label in TABS]
        ),
        value=S.tab,
        on_change=S.set_tab,
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="name", placeholder="Name", required=True, width="18rem", data_testid="master-new-name"),
            rx.input(name="code", placeholder="Code (optional)", width="10rem"),
            rx.button(rx.icon("plus", size=14), "Add ", S.kind_label, type="submit", data_testid="master-new-submit"),
            spacing="2",
            wrap="wrap",
        ),
        on_submit=S.create,
        reset_on_submit=True,
    )


def _search_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="query", placeholder="Search", width="18rem", key=S.tab, data_testid="masters-search"),
            rx.button(rx.icon("search", size=14), "Search", type="submit", variant="soft"),
            spacing="2",
        ),
        on_submit=S.search,
        reset_on_submit=False,
    )


def _actions(row: Any) -> rx.Component:
    toggle = rx.cond(
        row["active"] == "yes",
        rx.button("Deactivate", size="1", variant="soft", color_scheme="red", on_click=S.set_active(row["id"], False)),
        rx.cond(
            row["merged"] == "no",
            rx.button(
                "Reactivate", size="1", variant="soft", color_scheme="green", on_click=S.set_active(row["id"], True)
            ),
        ),
    )
    edits = rx.cond(
        S.is_master_tab & (row["merged"] == "no"),
        rx.hstack(
            rx.button("Rename", size="1", variant="soft", on_click=S.open_dialog("rename", row["id"])),
            rx.button("Merge into…", size="1", variant="soft", on_click=S.open_dialog("merge", row["id"])),
            spacing="2",
        ),
    )
    return rx.hstack(edits, toggle, spacing="2")


def _table() -> rx.Component:
    headers = ["Name", rx.cond(S.tab == "fiscal_year", "Dates", "Code"), "Used by", "Status", ""]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda row: rx.table.row(
                    rx.table.cell(row["name"], white_space="nowrap"),
                    rx.table.cell(row["code"]),
                    rx.table.cell(row["refs"], white_space="nowrap"),
                    rx.table.cell(
                        rx.badge(
                            row["status"], color_scheme=rx.cond(row["active"] == "yes", "green", "gray"), variant="soft"
                        )
                    ),
                    rx.table.cell(_actions(row)),
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid="masters-table",
    )


def _dialog_buttons(submit: str, test_id: str) -> rx.Component:
    return rx.hstack(
        rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=S.close_dialog),
        rx.button(submit, type="submit", data_testid=test_id),
        justify="end",
        spacing="2",
        width="100%",
    )


def _rename_body() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.input(
                name="name", default_value=S.target_name, required=True, width="100%", data_testid="master-rename-name"
            ),
            rx.text("Reports, the grid and exports show the new name at once.", size="1", color_scheme="gray"),
            _dialog_buttons("Rename", "master-rename-submit"),
            spacing="3",
        ),
        key=S.target_id,
        on_submit=S.rename,
        reset_on_submit=False,
    )


def _merge_body() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                "Every reference (",
                S.target_refs,
                ") moves to the ",
                S.kind_label,
                " you name, in one step, recorded in the audit trail. '",
                S.target_name,
                "' then becomes inactive, and imports that still spell it land on the survivor.",
                size="2",
            ),
            rx.input(
                name="survivor",
                placeholder="Name of the one to keep",
                required=True,
                width="100%",
                data_testid="master-merge-survivor",
            ),
            _dialog_buttons("Merge", "master-merge-submit"),
            spacing="3",
        ),
        key=S.target_id,
        on_submit=S.merge,
        reset_on_submit=False,
    )


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.dialog == "merge", "Merge '", "Rename '"), S.target_name, "'"),
            rx.cond(
                S.error != "",
                rx.callout(S.error, color_scheme="red", icon="triangle-alert", size="1", margin_bottom="0.5rem"),
            ),
            rx.cond(S.dialog == "merge", _merge_body(), _rename_body()),
            max_width="34rem",
            data_testid="master-dialog",
        ),
        open=S.dialog != "",
        on_open_change=lambda _: S.close_dialog(),
    )


@app_page(routes.MASTERS, on_load=[MastersState.load])
def masters_page() -> rx.Component:
    return rx.vstack(
        _tabs(),
        rx.cond(S.is_master_tab, rx.card(_create_form(), width="100%")),
        rx.cond(
            (S.error != "") & (S.dialog == ""),
            rx.callout(S.error, color_scheme="red", icon="triangle-alert", data_testid="masters-error"),
        ),
        rx.cond(
            S.message != "", rx.callout(S.message, color_scheme="green", icon="check", data_testid="masters-message")
        ),
        _search_form(),
        _table(),
        pager(
            S,
            rx.text(
                S.total,
                rx.cond(S.total == 1, " row", " rows"),
                " · page ",
                S.page_number,
                " of ",
                S.page_count,
                size="2",
            ),
            test_id_prefix="masters",
        ),
        _dialog(),
        spacing="3",
        width="100%",
    )
