"""Actuals workbook export: the ``Actuals`` sheet is what the actuals import reads back.

Header in row 1, one row per actual below it (linked or not), nothing else; the headers are the import
spec's labels, so the file re-imports with nothing changed (every invoice is then already imported). Rate,
Base Amount, FY and Month are derived: written for the reader, never read by the import.

Text is written as text cells, never as formulas (``strings_to_formulas`` is off and every text goes
through ``write_string``), so a vendor name or remark starting with =, +, - or @ stays what was typed.
Rows arrive in batches and stream to disk (``constant_memory``): memory is bounded by one batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import polars as pl

from opex_app.domain.export import styles
from opex_app.domain.ingest.specs.actuals import ACTUALS

ACTUALS_SHEET = "Actuals"
ACTUALS_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "vendor",
    "uid",
    "po_number",
    "currency",
    "amount",
    "rate",
    "base_amount",
    "fy",
    "month",
    "remarks",
)
ACTUALS_HEADERS = tuple(ACTUALS.label(name) for name in ACTUALS_COLUMNS)
RATE_FORMAT = "#,##0.00####"
_WIDTHS = {"Invoice No": 18.0, "PO Number": 16.0, "Rate": 12.0, "Base Amount": 16.0, "FY": 7.0, "Month": 9.0}
_EPOCH = date(1899, 12, 30)
_FIRST_SERIAL_DAY = date(1900, 3, 1)  # before it, Excel's phantom 29-Feb-1900 shifts serials: written as text
_MAX_ROWS = 1_048_576


def write_actuals_workbook(target: str | Path | BinaryIO, batches: Iterable[pl.DataFrame]) -> int:
    """Write actuals to ``target`` (path or binary file object); returns the number of rows.

    ``batches`` are frames with the ``ACTUALS_COLUMNS`` (texts: String, invoice_date: Date, amount and
    base_amount: Decimal, rate: Decimal), written in the order given; extra columns are ignored."""
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    fmts = styles.add_formats(wb)
    rate_fmt = wb.add_format({"num_format": RATE_FORMAT})
    ws = wb.add_worksheet(ACTUALS_SHEET)
    by_column = {"invoice_date": fmts.date, "amount": fmts.money, "base_amount": fmts.money, "rate": rate_fmt}
    for c, (name, header) in enumerate(zip(ACTUALS_COLUMNS, ACTUALS_HEADERS, strict=True)):
        ws.set_column(c, c, _WIDTHS.get(header, styles.column_width(header)), by_column.get(name))
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    for c, header in enumerate(ACTUALS_HEADERS):
        ws.write_string(0, c, header, fmts.header)
    row = 0
    for frame in batches:
        if row + frame.height + 1 > _MAX_ROWS:
            raise ValueError(f"too many actuals for one Excel sheet (max {_MAX_ROWS - 1}): export one FY at a time")
        for values in frame.select(ACTUALS_COLUMNS).iter_rows():
            row += 1
            for c, (name, value) in enumerate(zip(ACTUALS_COLUMNS, values, strict=True)):
                if value is None:
                    continue
                if isinstance(value, date):
                    if value >= _FIRST_SERIAL_DAY:
                        ws.write_number(row, c, (value - _EPOCH).days, fmts.date)
                    else:
                        ws.write_string(row, c, value.isoformat())
                elif isinstance(value, Decimal | int | float):
                    ws.write_number(row, c, float(value), by_column.get(name))
                else:
                    text = str(value)
                    if text:
                        ws.write_string(row, c, styles.safe_text(text))
    ws.autofilter(0, 0, row, len(ACTUALS_COLUMNS) - 1)
    wb.close()
    return row
