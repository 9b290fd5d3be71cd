"""Purchase-order workbook export: the ``POs`` sheet is the layout the PO import reads back.

Header in row 1, one row per PO line below it, exactly the import's columns in the import spec's order
(``domain/ingest/specs/pos``), each PO's header fields repeated on every one of its lines, so an export
re-imports with zero changes. Text is written as text cells whatever it looks like (a vendor named
'=HYPERLINK(...)' stays that text: the workbook options never turn strings into formulas, and text
shaped like rich-text XML is escaped, ``styles.safe_text``). Rows are streamed (constant memory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from xlsxwriter.worksheet import Worksheet

from opex_app.domain.export import styles
from opex_app.domain.ingest.specs.pos import POS

PO_SHEET = "POs"
PO_HEADERS: tuple[str, ...] = tuple(spec.label for spec in POS.fields)
PO_COLUMNS: tuple[str, ...] = POS.names  # the field each column holds, in sheet order
_MAX_ROWS = 1_048_576
_WIDTHS = {"PO Number": 18.0, "PR Number": 18.0, "PO Value": 16.0, "Allocated Amount": 16.0, "Status": 12.0}


@dataclass(frozen=True)
class PoLineRow:
    """One PO line with its PO's fields: one row of the sheet."""

    po_number: str
    po_date: date | None
    vendor: str | None
    entity: str | None
    currency: str
    po_value: Decimal
    pr_number: str | None
    pr_date: date | None
    pr_amount: Decimal | None
    uid: str
    allocated_amount: Decimal
    status: str  # a PoStatus value; written capitalised ('Approved'), as people write it


assert tuple(PoLineRow.__dataclass_fields__) == PO_COLUMNS  # the sheet's columns are the import's fields


def _write_cell(ws: Worksheet, row: int, col: int, value: object, fmts: styles.Formats) -> None:
    if value is None or value == "":
        return  # an empty cell is absent
    if isinstance(value, Decimal):
        ws.write_number(row, col, float(value), fmts.money)
    elif isinstance(value, date) and not isinstance(value, datetime):
        if value < date(1900, 1, 1):  # Excel holds no earlier dates: kept as ISO text, read back as a date
            ws.write_string(row, col, value.isoformat())
        else:
            ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmts.date)
    else:
        ws.write_string(row, col, styles.safe_text(str(value)))


def write_po_workbook(target: str | Path | BinaryIO, rows: Iterable[PoLineRow]) -> int:
    """Write PO lines to ``target`` (a path or a binary file object) in the order given; returns how many.
    Nothing is written to ``target`` when ``rows`` fails: the workbook is only written by close()."""
    wb = styles.open_workbook(target, styles.STREAMING_OPTIONS)
    fmts = styles.add_formats(wb)
    ws = wb.add_worksheet(PO_SHEET)
    for col, header in enumerate(PO_HEADERS):
        kind = POS.field(PO_COLUMNS[col]).kind
        width = _WIDTHS.get(header, styles.column_width(header))
        if kind == "amount":
            ws.set_column(col, col, max(width, styles.MONEY_WIDTH), fmts.money)
        elif kind == "date":
            ws.set_column(col, col, max(width, styles.DATE_WIDTH), fmts.date)
        else:
            ws.set_column(col, col, width)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    for col, header in enumerate(PO_HEADERS):
        ws.write_string(0, col, header, fmts.header)
    count = 0
    for line in rows:
        count += 1
        if count + 1 > _MAX_ROWS:  # raised before close(): nothing is written to the target
            raise ValueError(f"too many PO lines for one Excel sheet (max {_MAX_ROWS - 1})")
        values = [getattr(line, name) for name in PO_COLUMNS]
        values[PO_COLUMNS.index("status")] = line.status.title()
        for col, value in enumerate(values):
            _write_cell(ws, count, col, value, fmts)
    ws.autofilter(0, 0, count, len(PO_HEADERS) - 1)
    wb.close()
    return count
