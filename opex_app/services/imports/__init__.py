"""Imports of every kind through one pipeline (`run_import`), read by the ingestion engine.

The names below are loaded on first use (PEP 562): `reading` must stay importable without the database
layer, so that the CLI can parse a large file while the rest of the application is still being imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opex_app.domain.ingest import WorkbookRefused, WorkbookUnreadable
    from opex_app.services.imports.downloads import error_report_download
    from opex_app.services.imports.pipeline import ImportOptions, run_import
    from opex_app.services.imports.result import CellChange, ImportResult

_WHERE = {
    "WorkbookRefused": "opex_app.domain.ingest",
    "WorkbookUnreadable": "opex_app.domain.ingest",
    "error_report_download": "opex_app.services.imports.downloads",
    "ImportOptions": "opex_app.services.imports.pipeline",
    "run_import": "opex_app.services.imports.pipeline",
    "CellChange": "opex_app.services.imports.result",
    "ImportResult": "opex_app.services.imports.result",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(import_module(_WHERE[name]), name)


__all__ = [
    "CellChange",
    "ImportOptions",
    "ImportResult",
    "WorkbookRefused",
    "WorkbookUnreadable",
    "error_report_download",
    "run_import",
]
