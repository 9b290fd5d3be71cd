"""Error report of a rejected import: one row per cell error, for the analyst to fix the file."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from xlsxwriter.worksheet import Worksheet

from opex_app.domain.export import styles

ERRORS_SHEET = "Errors"
ERROR_FIELDS = ("sheet", "cell", "row", "column", "value", "message")
ERROR_HEADERS = ["Sheet", "Cell", "Row", "Column", "Value", "Message"]

_MISSING = object()


def _field(error: Any, name: str) -> Any:
    """Attribute ``name`` of a CellError-like object, or key ``name`` of a mapping; None if absent."""
    if isinstance(error, Mapping):
        return error.get(name)
    value = getattr(error, name, _MISSING)
    return None if value is _MISSING else value


def _write_value(ws: Worksheet, row: int, col: int, value: Any, fmts: styles.Formats) -> None:
    """Write any cell value faithfully: numbers as numbers, dates as dates, the rest as text."""
    if value is None:
        return
    if isinstance(value, str):
        if value:
            ws.write_string(row, col, styles.safe_text(value))
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, Decimal) and value.is_finite():
        ws.write_number(row, col, float(value))
    elif isinstance(value, (int, float)) and math.isfinite(value):
        ws.write_number(row, col, value)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value.replace(tzinfo=None), fmts.datetime)
    elif isinstance(value, date) and value.year >= 1900:
        ws.write_datetime(row, col, value, fmts.date)
    elif isinstance(value, time):
        ws.write_string(row, col, value.isoformat())
    else:
        ws.write_string(row, col, styles.safe_text(str(value)))


def write_error_report(target: str | Path | BinaryIO, errors: Sequence[Any], *, title: str | None = None) -> int:
    """Write ``errors`` (CellError-like objects or dicts with ``ERROR_FIELDS``) to sheet ``Errors``.

    Header (styled, frozen, autofiltered) in row 1, or row 3 below ``title`` when one is given.
    Returns the number of error rows written.
    """
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    if title:
        wb.set_properties({"title": title})
    fmts = styles.add_formats(wb)
    ws = wb.add_worksheet(ERRORS_SHEET)
    for col, header in enumerate(ERROR_HEADERS):
        ws.set_column(col, col, styles.column_width(header))
    header_row = 0
    if title:
        ws.write_string(0, 0, styles.safe_text(title), fmts.title)
        header_row = 2
    ws.freeze_panes(header_row + 1, 0)
    for col, header in enumerate(ERROR_HEADERS):
        ws.write_string(header_row, col, header, fmts.header)
    row = header_row
    for error in errors:
        row += 1
        for col, name in enumerate(ERROR_FIELDS):
            _write_value(ws, row, col, _field(error, name), fmts)
    ws.autofilter(header_row, 0, row, len(ERROR_HEADERS) - 1)
    wb.close()
    return row - header_row
