"""Buttons that build a workbook on the server and download it (DownloadState)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.state.downloads import DownloadState

D: Any = DownloadState  # handlers are called with event args here, which mypy cannot follow


def export_button(view: dict[str, Any]) -> rx.Component:
    """Export the budget lines of `view` (BudgetFilter field -> value or Var)."""
    return rx.button(
        rx.icon("download", size=14),
        "Export to Excel",
        size="2",
        variant="soft",
        on_click=D.export_budget(view),
        loading=D.busy,
        data_testid="grid-export",
    )


def template_button(fy_name: Any, *, test_id: str) -> rx.Component:
    """The blank import template of an FY, with drop-downs of the known masters."""
    return rx.button(
        rx.icon("file-spreadsheet", size=14),
        "Download template",
        size="2",
        variant="ghost",
        on_click=D.download_template(fy_name),
        data_testid=test_id,
    )
