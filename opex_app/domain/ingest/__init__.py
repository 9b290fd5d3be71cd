"""Reading budget workbooks: find the table, map its columns, parse and check every row."""

from opex_app.domain.ingest.budget_reader import CellError, ParsedBudget, read_budget_workbook
from opex_app.domain.ingest.workbook import ReadLimits, WorkbookRefused, WorkbookUnreadable

__all__ = [
    "CellError",
    "ParsedBudget",
    "ReadLimits",
    "WorkbookRefused",
    "WorkbookUnreadable",
    "read_budget_workbook",
]
