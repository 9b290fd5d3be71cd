"""Audit trail: who changed what, when, from what value to what value. Filtered and paged on the server;
the filters are in the address."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.downloads import audit_export_button
from opex_app.components.layout import app_page
from opex_app.components.pager import pager
from opex_app.state.audit import FILTERS, AuditState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = AuditState

COLUMNS = [
    ("at", "When (UTC)"),
    ("actor", "Who"),
    ("action", "Action"),
    ("entity", "What"),
    ("entity_id", "Id"),
    ("fields", "Field"),
    ("before", "Before"),
    ("after", "After"),
]
_LINES = {"fields", "before", "after"}  # one line per changed field, aligned across the three columns


def _filter_field(name: str, label: str, value: Any, placeholder: str = "", type_: str = "text") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.input(
            name=name,
            default_value=value,
            placeholder=placeholder,
            type=type_,
            size="1",
            data_testid=f"audit-filter-{name}",
        ),
        spacing="1",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            _filter_field("actor", "User", S.actor, "e-mail contains"),
            _filter_field("entity", "Entity type", S.entity, "e.g. budget_line"),
            _filter_field("ref", "Id or UID", S.ref, "e.g. 42 or IT-0001"),
            _filter_field("action", "Action", S.action, "e.g. update"),
            _filter_field("date_from", "From", S.date_from, type_="date"),
            _filter_field("date_to", "To", S.date_to, type_="date"),
            rx.button("Filter", type="submit", size="1", data_testid="audit-filter-apply"),
            rx.button("Clear", type="button", size="1", variant="ghost", on_click=S.clear_filters),
            audit_export_button({name: getattr(S, name) for name in FILTERS}),
            spacing="2",
            align="end",
            wrap="wrap",
        ),
        key=S.view_key,
        on_submit=S.apply_filter,
        width="100%",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for _, h in COLUMNS])),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda row: rx.table.row(
                    *[
                        rx.table.cell(row[key], white_space="pre-line" if key in _LINES else "nowrap")
                        for key, _ in COLUMNS
                    ],
                    data_testid="audit-row",
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        data_testid="audit-table",
    )


@app_page(routes.AUDIT, on_load=[AuditState.load])
def audit_page() -> rx.Component:
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
                data_testid="audit-count",
            ),
            test_id_prefix="audit",
            first_last=True,
        ),
        spacing="3",
        width="100%",
    )
