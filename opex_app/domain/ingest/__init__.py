"""Reading import files: find the table, map its columns, parse and check every row, by a spec per kind."""

from opex_app.domain.ingest.errors import CellError, Closest, WorkbookRefused, WorkbookUnreadable
from opex_app.domain.ingest.reader import ParsedImport, ReadOptions, read_import
from opex_app.domain.ingest.workbook import ReadLimits

__all__ = [
    "CellError",
    "Closest",
    "ParsedImport",
    "ReadLimits",
    "ReadOptions",
    "WorkbookRefused",
    "WorkbookUnreadable",
    "read_import",
]
