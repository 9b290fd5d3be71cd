"""Activity log: logins, failed logins, logouts, exports and downloads, with who, when, from which address and
what (the file). Filtered and paged on the server; the filters are in the address; exported to Excel."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.pager import pager
from opex_app.state.activity import FILTERS, KIND_CHOICES, ActivityState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = ActivityState

COLUMNS = [
    ("at", "When (UTC)"),
    ("actor", "Who"),
    ("kind_label", "Event"),
    ("ip", "IP address"),
    ("detail", "Detail"),
]
_KIND_COLOURS = {"login": "green", "login_failed": "red", "logout": "gray", "export": "blue", "download": "violet"}


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, spacing="1")


def _input(name: str, label: str, value: Any, placeholder: str = "", type_: str = "text") -> rx.Component:
    return _labelled(
        label,
        rx.input(
            name=name,
            default_value=value,
            placeholder=placeholder,
            type=type_,
            size="1",
            data_testid=f"activity-filter-{name}",
        ),
    )


def _kind_select() -> rx.Component:
    return _labelled(
        "Event",
        rx.el.select(
            *[rx.el.option(label, value=value) for value, label in KIND_CHOICES],
            name="kind",
            default_value=S.kind,
            data_testid="activity-filter-kind",
            style={"height": "24px", "font-size": "12px", "padding": "0 4px"},
        ),
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            _input("user", "User", S.user, "e-mail contains"),
            _kind_select(),
            _input("date_from", "From", S.date_from, type_="date"),
            _input("date_to", "To", S.date_to, type_="date"),
            rx.button("Filter", type="submit", size="1", data_testid="activity-filter-apply"),
            rx.button("Clear", type="button", size="1", variant="ghost", on_click=S.clear_filters),
            rx.button(
                rx.icon("download", size=14),
                "Export to Excel",
                size="1",
                variant="soft",
                type="button",
                on_click=S.export({name: getattr(S, name) for name in FILTERS}),
                loading=S.busy,
                data_testid="activity-export",
            ),
            spacing="2",
            align="end",
            wrap="wrap",
        ),
        key=S.view_key,
        on_submit=S.apply_filter,
        width="100%",
    )


def _cell(row: Any, key: str) -> rx.Component:
    if key == "kind_label":
        colour = rx.match(row["kind"], *_KIND_COLOURS.items(), "gray")
        return rx.table.cell(rx.badge(row[key], color_scheme=colour), white_space="nowrap")
    return rx.table.cell(row[key], white_space="nowrap" if key != "detail" else "normal")


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for _, h in COLUMNS])),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda row: rx.table.row(*[_cell(row, key) for key, _ in COLUMNS], data_testid="activity-row"),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid="activity-table",
    )


@app_page(routes.ACTIVITY, on_load=[ActivityState.load])
def activity_page() -> rx.Component:
    return rx.vstack(
        _filters(),
        rx.foreach(
            S.warnings,
            lambda w: rx.callout(w, icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        ),
        _table(),
        pager(
            S,
            rx.text(
                S.total,
                rx.cond(S.total == 1, " event", " events"),
                " · page ",
                S.page_number,
                " of ",
                S.page_count,
                size="2",
                color_scheme="gray",
                data_testid="activity-count",
            ),
            test_id_prefix="activity",
            first_last=True,
        ),
        spacing="3",
        width="100%",
    )
