"""Excel exports: the budget workbook (re-importable), the import template, import error reports and the
actuals workbook (re-importable)."""

from opex_app.domain.export.actuals_workbook import (
    ACTUALS_COLUMNS,
    ACTUALS_HEADERS,
    ACTUALS_SHEET,
    write_actuals_workbook,
)
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
from opex_app.domain.export.po_workbook import write_po_workbook

__all__ = [
    "ACTUALS_COLUMNS",
    "ACTUALS_HEADERS",
    "ACTUALS_SHEET",
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
    "write_actuals_workbook",
    "write_budget_workbook",
    "write_error_report",
    "write_po_workbook",
    "write_template",
]
