"""Audit trail: who changed what, when, from what value to what value. Filtered and paged on the server;
the filters are in the address."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.paged_log import excel_export_button, filter_input, filtered_log, filters_bar, log_table
from opex_app.state.audit import FILTERS, AuditState
from opex_app.state.downloads import DownloadState

# Reflex turns state attributes into Vars and handlers into event specs, which mypy cannot see.
S: Any = AuditState
D: Any = DownloadState

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
    return filter_input(name, label, value, test_prefix="audit", placeholder=placeholder, type_=type_)


def _filters() -> rx.Component:
    view = {name: getattr(S, name) for name in FILTERS}
    return filters_bar(
        S,
        [
            _filter_field("actor", "User", S.actor, "e-mail contains"),
            _filter_field("entity", "Entity type", S.entity, "e.g. budget_line"),
            _filter_field("ref", "Id or UID", S.ref, "e.g. 42 or IT-0001"),
            _filter_field("action", "Action", S.action, "e.g. update"),
            _filter_field("date_from", "From", S.date_from, type_="date"),
            _filter_field("date_to", "To", S.date_to, type_="date"),
        ],
        export=excel_export_button(D.export_audit(view), test_id="audit-export"),
        test_prefix="audit",
    )


def _cell(row: Any, key: str) -> rx.Component:
    return rx.table.cell(row[key], white_space="pre-line" if key in _LINES else "nowrap")


@app_page(routes.AUDIT, on_load=[AuditState.load])
def audit_page() -> rx.Component:
    return filtered_log(S, _filters(), log_table(S, COLUMNS, _cell, test_prefix="audit"), test_prefix="audit")
