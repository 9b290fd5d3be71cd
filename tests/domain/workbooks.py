"""Test workbooks written with xlsxwriter: rows of Python values placed anywhere on a sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from opex_app.domain.fiscal import FiscalYear


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value Excel last computed for it (e.g. '#DIV/0!', 'NA' or 12)."""

    formula: str
    value: object = 0


Rows = Sequence[Sequence[object]]


def _write_rows(workbook: xlsxwriter.Workbook, sheet: str, rows: Rows, start_row: int, start_col: int) -> None:
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "dd-mmm-yyyy"})
    time_format = workbook.add_format({"num_format": "dd-mmm-yyyy hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            at = (start_row + r, start_col + c)
            if value is None:
                continue
            if isinstance(value, Formula):
                worksheet.write_formula(*at, value.formula, None, value.value)
            elif isinstance(value, bool):
                worksheet.write_boolean(*at, value)
            elif isinstance(value, datetime):
                worksheet.write_datetime(
                    *at, value, time_format if value.time() != datetime.min.time() else date_format
                )
            elif isinstance(value, date):
                worksheet.write_datetime(*at, datetime(value.year, value.month, value.day), date_format)
            elif isinstance(value, int | float):
                worksheet.write_number(*at, value)
            else:
                worksheet.write_string(*at, str(value))


def write_workbook(
    path: Path,
    rows: Rows,
    *,
    sheet: str = "Budget",
    start_row: int = 0,
    start_col: int = 0,
    before: dict[str, Rows] | None = None,
    after: dict[str, Rows] | None = None,
    inline_strings: bool = False,
) -> Path:
    """Write `rows` to `sheet` from 0-based (start_row, start_col); `before`/`after` add other sheets
    (in order) around it. `inline_strings` stores text in the cells instead of the shared-strings
    table, as some writers do."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": inline_strings})
    for name, other in (before or {}).items():
        _write_rows(workbook, name, other, 0, 0)
    _write_rows(workbook, sheet, rows, start_row, start_col)
    for name, other in (after or {}).items():
        _write_rows(workbook, name, other, 0, 0)
    workbook.close()
    return path


MONTHS_FY27 = FiscalYear(2027).month_labels()  # Apr-26 .. Mar-27

# The header row of a budget sheet as the export writes it for FY27: the one list tests share (the
# reader must read back every field of it; the export must write exactly it).
BUDGET_HEADERS: list[str] = [
    "UID",
    "Parent UID",
    "Description",
    "Tower",
    "Budget Head",
    "Cost Centre",
    "Vendor",
    "Entity",
    "Currency",
    "Service Start",
    "Service End",
    *MONTHS_FY27,
    "FY Total",
    "Remarks",
]


def csv_bytes(rows: Rows, *, delimiter: str = ",", encoding: str = "utf-8", line_end: str = "\r\n") -> bytes:
    """`rows` as the bytes of a CSV export: cells as text (None empty), quoted only when they must be.
    `encoding` 'utf-8-sig' writes a BOM."""
    lines = []
    for row in rows:
        cells = []
        for value in row:
            text = "" if value is None else str(value)
            if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells) + line_end)
    return "".join(lines).encode(encoding)
