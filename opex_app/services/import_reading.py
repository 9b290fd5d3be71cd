"""Reading an import file with the configured limits and date convention.

Kept free of database imports so the CLI can start parsing a large workbook while the rest of the
application is still being imported.
"""

from __future__ import annotations

from pathlib import Path

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.budget_reader import ParsedBudget, ReadLimits, read_budget_workbook
from opex_app.settings import get_settings


def read_limits() -> ReadLimits:
    settings = get_settings()
    return ReadLimits(
        max_file_bytes=settings.upload_max_bytes, max_uncompressed_bytes=settings.upload_max_uncompressed_bytes
    )


def read_budget_file(data: bytes, *, file_name: str, fiscal_year: FiscalYear | None) -> ParsedBudget:
    """Parse and validate a budget workbook (raises WorkbookUnreadable / WorkbookRefused)."""
    settings = get_settings()
    return read_budget_workbook(
        data,
        fiscal_year=fiscal_year,
        fy_start_month=settings.fy_start_month,
        day_first=settings.day_first_dates,
        limits=read_limits(),
        file_name=Path(file_name).name,
    )
