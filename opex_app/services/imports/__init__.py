"""Imports of every kind through one pipeline (`run_import`), read by the ingestion engine."""

from opex_app.domain.ingest import WorkbookRefused, WorkbookUnreadable
from opex_app.services.imports.downloads import error_report_download
from opex_app.services.imports.pipeline import ImportOptions, run_import
from opex_app.services.imports.result import CellChange, ImportResult

__all__ = [
    "CellChange",
    "ImportOptions",
    "ImportResult",
    "WorkbookRefused",
    "WorkbookUnreadable",
    "error_report_download",
    "run_import",
]
