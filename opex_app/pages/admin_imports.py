"""Import history: every import batch with who, when, kind, file, size, sha256, counts, status and duration;
the original file and the error report can be downloaded again."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app import routes
from opex_app.components.layout import app_page
from opex_app.components.paged_log import count_and_pager, data_table
from opex_app.state.import_history import ImportHistoryState

S: Any = ImportHistoryState  # Reflex Vars and event specs, which mypy cannot see

COLUMNS = [
    ("at", "When (UTC)"),
    ("actor", "Who"),
    ("kind", "Kind"),
    ("file_name", "File"),
    ("size", "Size"),
    ("sha256", "SHA-256"),
    ("rows", "Rows"),
    ("lines", "Lines"),
    ("status", "Status"),
    ("duration", "Took"),
]


def _files(row: Any) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row["kept"] != "",
            rx.button(
                rx.icon("download", size=12),
                "File",
                size="1",
                variant="soft",
                on_click=S.download_original(row["id"]),
                data_testid="import-history-file",
            ),
        ),
        rx.cond(
            row["has_errors"] != "",
            rx.button(
                rx.icon("file-warning", size=12),
                "Errors",
                size="1",
                variant="soft",
                color_scheme="amber",
                on_click=S.download_errors(row["id"]),
                data_testid="import-history-errors",
            ),
        ),
        spacing="1",
    )


def _row(row: Any) -> rx.Component:
    cells = [
        rx.table.cell(row[key], white_space="nowrap", title=row["sha256_full"] if key == "sha256" else None)
        for key, _ in COLUMNS
    ]
    return rx.table.row(*cells, rx.table.cell(_files(row)), data_testid="import-history-row")


def _table() -> rx.Component:
    return data_table(S.rows, [*(h for _, h in COLUMNS), "Download"], _row)


@app_page(routes.IMPORT_HISTORY, on_load=[ImportHistoryState.load])
def import_history_page() -> rx.Component:
    return rx.vstack(
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1", width="100%")),
        rx.box(_table(), overflow_x="auto", width="100%"),
        count_and_pager(S, "import", test_id_prefix="import-history"),
        spacing="3",
        width="100%",
    )
