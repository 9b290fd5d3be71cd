"""Activity log: logins, failed logins, logouts, exports and downloads, with who, when, from which address and
what (the file). Filtered and paged on the server; the filters are in the address; exported to Excel."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.paged_log import (
    excel_export_button,
    filter_input,
    filtered_log,
    filters_bar,
    labelled,
    log_table,
)
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


def _input(name: str, label: str, value: Any, placeholder: str = "", type_: str = "text") -> rx.Component:
    return filter_input(name, label, value, test_prefix="activity", placeholder=placeholder, type_=type_)


def _kind_select() -> rx.Component:
    return labelled(
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
    return filters_bar(
        S,
        [
            _input("user", "User", S.user, "e-mail contains"),
            _kind_select(),
            _input("date_from", "From", S.date_from, type_="date"),
            _input("date_to", "To", S.date_to, type_="date"),
        ],
        export=excel_export_button(S.export({name: getattr(S, name) for name in FILTERS}), test_id="activity-export"),
        test_prefix="activity",
    )


def _cell(row: Any, key: str) -> rx.Component:
    if key == "kind_label":
        colour = rx.match(row["kind"], *_KIND_COLOURS.items(), "gray")
        return rx.table.cell(rx.badge(row[key], color_scheme=colour), white_space="nowrap")
    return rx.table.cell(row[key], white_space="nowrap" if key != "detail" else "normal")


@app_page(routes.ACTIVITY, on_load=[ActivityState.load])
def activity_page() -> rx.Component:
    table = log_table(S, COLUMNS, _cell, test_prefix="activity")
    return filtered_log(S, _filters(), table, test_prefix="activity")
