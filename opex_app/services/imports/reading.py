"""Reading an import file with the configured limits and date convention.

Kept free of database imports so the CLI can start parsing a large file while the rest of the
application is still being imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import ParsedImport, ReadLimits, ReadOptions, read_import
from opex_app.domain.ingest.specs import get_spec
from opex_app.settings import Settings, get_settings


def read_limits(settings: Settings | None = None) -> ReadLimits:
    settings = settings or get_settings()
    return ReadLimits(
        max_file_bytes=settings.upload_max_bytes, max_uncompressed_bytes=settings.upload_max_uncompressed_bytes
    )


def read_file(
    data: bytes | Path,
    kind: str,
    *,
    file_name: str,
    fiscal_year: FiscalYear | None,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    settings: Settings | None = None,
) -> ParsedImport:
    """Parse and check an import file of `kind` (raises WorkbookUnreadable / WorkbookRefused). `settings`:
    those of the process that asked, when another reads for it (`bounded`); by default this process's."""
    settings = settings or get_settings()
    options = ReadOptions(
        fiscal_year=fiscal_year,
        fy_start_month=settings.fy_start_month,
        day_first=settings.day_first_dates,
        limits=read_limits(settings),
        file_name=Path(file_name).name,
        mapping=dict(mapping or {}),
        sheet=sheet,
    )
    return read_import(data, get_spec(kind), options)
