"""Excel exports: the budget workbook (re-importable), the import template and import error reports."""

from opex_app.domain.export.budget_workbook import (
    BUDGET_COLUMNS,
    BUDGET_SHEET,
    FY_TOTAL,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    MASTER_HEADERS,
    SUMMARY_SHEET,
    budget_headers,
    write_budget_workbook,
    write_template,
)
from opex_app.domain.export.error_report import ERROR_HEADERS, ERRORS_SHEET, write_error_report

__all__ = [
    "BUDGET_COLUMNS",
    "BUDGET_SHEET",
    "ERRORS_SHEET",
    "ERROR_HEADERS",
    "FY_TOTAL",
    "INSTRUCTIONS_SHEET",
    "LISTS_SHEET",
    "MASTER_HEADERS",
    "SUMMARY_SHEET",
    "budget_headers",
    "write_budget_workbook",
    "write_error_report",
    "write_template",
]
