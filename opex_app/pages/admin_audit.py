"""Audit trail: who changed what, when, from what."""

from __future__ import annotations

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.components.cards import data_table
from opex_app.components.layout import app_page
from opex_app.state.admin import AuditState

COLUMNS = [
    ("at", "When (UTC)"),
    ("actor", "Who"),
    ("action", "Action"),
    ("entity", "What"),
    ("entity_id", "Id"),
    ("changes", "Changes [before, after]"),
]


@app_page("/admin/audit", "Audit trail", on_load=[AuditState.load], permission=Permission.VIEW_AUDIT)
def audit_page() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(name="entity", placeholder="table, e.g. budget_line"),
                rx.input(name="entity_id", placeholder="id"),
                rx.button("Filter", type="submit"),
                spacing="2",
            ),
            on_submit=AuditState.apply_filter,
        ),
        data_table(COLUMNS, AuditState.rows, test_id="audit-table"),
        spacing="3",
        width="100%",
    )
