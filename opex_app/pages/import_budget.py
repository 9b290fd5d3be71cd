"""Import page (Analyst): drop a workbook, pick the FY, see the preview and every wrong cell, then commit."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.components.cards import data_table, kpi_card
from opex_app.components.downloads import template_button
from opex_app.components.layout import ACCENT, app_page
from opex_app.state.import_budget import UPLOAD_ID, ImportBudgetState

S: Any = ImportBudgetState  # handlers are called with event args in the page, which mypy cannot follow

SUMMARY = [
    ("rows_total", "Rows"),
    ("rows_accepted", "Accepted"),
    ("rows_rejected", "Rejected"),
    ("lines_created", "New lines"),
    ("lines_updated", "Changed lines"),
    ("lines_unchanged", "Unchanged"),
    ("masters_created", "New masters"),
]
ERROR_HEADERS = [
    ("cell", "Cell"),
    ("row", "Row"),
    ("column", "Column"),
    ("value", "Value found"),
    ("message", "What is wrong"),
]


def _dropzone() -> rx.Component:
    return rx.upload.root(
        rx.vstack(
            rx.icon("file-spreadsheet", size=32, color=rx.color(ACCENT, 9)),
            rx.text("Drop a budget workbook here, or click to choose one", weight="medium"),
            rx.text(
                "The first sheet with a UID column and month columns is read. Nothing is written until you commit.",
                size="1",
                color_scheme="gray",
            ),
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.badge(f, size="2")),
            align="center",
            spacing="2",
        ),
        id=UPLOAD_ID,
        accept={
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx", ".xlsm"],
            "application/vnd.ms-excel": [".xls"],
        },
        max_files=1,
        multiple=False,
        on_drop=S.handle_upload(rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=S.upload_progressed)),
        border=f"2px dashed {rx.color(ACCENT, 7)}",
        border_radius="10px",
        padding="1.5rem",
        width="100%",
        cursor="pointer",
        data_testid="upload-dropzone",
    )


def _controls() -> rx.Component:
    return rx.hstack(
        rx.text("Fiscal year", size="2"),
        rx.select(S.fy_choices, value=S.fy_name, on_change=S.pick_fy, size="2", data_testid="import-fy"),
        rx.checkbox(
            "Import the valid rows and skip rows with errors",
            checked=S.skip_invalid,
            on_change=S.set_skip_invalid,
            data_testid="skip-invalid",
        ),
        rx.spacer(),
        template_button(S.fy_name, test_id="import-template"),
        rx.button("Start over", variant="soft", color_scheme="gray", on_click=S.start_over),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def _status() -> rx.Component:
    return rx.vstack(
        rx.cond(S.phase == "uploading", rx.progress(value=S.upload_progress, width="100%")),
        rx.cond(
            S.busy & (S.phase != "uploading"),
            rx.vstack(
                rx.hstack(rx.spinner(), rx.text(S.message), align="center"),
                rx.progress(width="100%"),
                width="100%",
                data_testid="import-busy",
            ),
        ),
        rx.cond(
            ~S.busy & (S.message != ""),
            rx.callout(
                S.message,
                icon=rx.match(S.message_tone, ("green", "check"), ("blue", "info"), "triangle-alert"),
                color_scheme=S.message_tone,
                width="100%",
                data_testid="import-message",
            ),
        ),
        width="100%",
    )


def _summary() -> rx.Component:
    return rx.cond(
        S.summary.length() > 0,
        rx.vstack(
            rx.text(S.file_name, " → ", S.summary["fiscal_year"], weight="medium"),
            rx.flex(
                *[kpi_card(label, S.summary[key]) for key, label in SUMMARY],
                gap="2",
                wrap="wrap",
                width="100%",
                data_testid="import-summary",
            ),
            rx.foreach(
                S.new_masters, lambda m: rx.text(rx.text.strong(m["kind"], " will be created: "), m["names"], size="2")
            ),
            rx.cond(S.missing != "", rx.text(S.missing, size="2", color_scheme="gray")),
            rx.cond(
                S.unknown_columns != "", rx.text("Ignored columns: ", S.unknown_columns, size="2", color_scheme="gray")
            ),
            rx.button(
                "Commit import",
                size="3",
                disabled=~S.can_commit,
                on_click=S.commit,
                loading=S.busy,
                data_testid="import-commit",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _errors() -> rx.Component:
    header = rx.table.row(
        *[
            rx.table.column_header_cell(
                rx.hstack(rx.text(label), rx.cond(S.error_sort == key, rx.icon("arrow-down", size=12)), align="center"),
                on_click=S.sort_errors(key),
                cursor="pointer",
            )
            for key, label in ERROR_HEADERS
        ]
    )
    return rx.cond(
        S.error_count > 0,
        rx.vstack(
            rx.hstack(
                rx.heading(S.error_count, " cell(s) need fixing", size="3", color_scheme="red"),
                rx.spacer(),
                rx.button(
                    rx.icon("download", size=14),
                    "Error report (.xlsx)",
                    variant="soft",
                    size="2",
                    on_click=S.download_errors,
                    data_testid="import-error-report",
                ),
                width="100%",
                align="center",
            ),
            rx.table.root(
                rx.table.header(header),
                rx.table.body(
                    rx.foreach(S.errors, lambda e: rx.table.row(*[rx.table.cell(e[key]) for key, _ in ERROR_HEADERS]))
                ),
                size="1",
                variant="surface",
                width="100%",
                data_testid="import-errors",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _changes() -> rx.Component:
    return rx.cond(
        S.changes.length() > 0,
        rx.vstack(
            rx.heading("Changed cells", size="3"),
            data_table(
                [("uid", "UID"), ("field", "Field"), ("before", "Stored"), ("after", "In the file")],
                S.changes,
                test_id="import-changes",
            ),
            width="100%",
        ),
    )


@app_page("/import", "Import budget", on_load=[S.prepare], permission=Permission.IMPORT)
def import_page() -> rx.Component:
    return rx.vstack(
        _controls(),
        _dropzone(),
        _status(),
        _summary(),
        _errors(),
        _changes(),
        spacing="4",
        width="100%",
        max_width="80rem",
    )
