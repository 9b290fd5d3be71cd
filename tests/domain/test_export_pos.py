"""Purchase-order workbook export, read back with openpyxl and with the PO import's own reader (no database)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from opex_app.domain.export import write_po_workbook
from opex_app.domain.export.po_workbook import PO_HEADERS, PO_SHEET, PoLineRow
from opex_app.domain.ingest import ReadOptions, read_import
from opex_app.domain.ingest.specs import POS

D = Decimal
IMPORT_COLUMNS = [
    "PO Number",
    "PO Date",
    "Vendor",
    "Entity",
    "Currency",
    "PO Value",
    "PR Number",
    "PR Date",
    "PR Amount",
    "UID",
    "Allocated Amount",
    "Status",
]
TRICKY_TEXT = ["=SUM(A1:A9)", "+91 98450 12345", "-discount", "@vendor", "<r><t>rich?</t></r>", "Tom & Jerry <Ltd>"]


def _line(number: str, uid: str, amount: str, **more: object) -> PoLineRow:
    values: dict[str, object] = {
        "po_number": number,
        "po_date": date(2026, 5, 4),
        "vendor": "Acme Cloud",
        "entity": "Opex India Pvt Ltd",
        "currency": "INR",
        "po_value": D("1500.00"),
        "pr_number": "PR-1",
        "pr_date": date(2026, 4, 20),
        "pr_amount": D("1600.00"),
        "uid": uid,
        "allocated_amount": D(amount),
        "status": "approved",
    }
    values.update(more)
    return PoLineRow(**values)  # type: ignore[arg-type]


LINES = [
    _line("4500012", "IT-FY27-0001", "1000.00"),
    _line("4500012", "IT-FY27-0002", "500.00"),
    _line(
        "PO/2026/7",
        "IT-FY27-0003",
        "12345678.91",
        po_value=D("12345678.91"),
        vendor=None,
        entity=None,
        currency="USD",
        pr_number=None,
        pr_date=None,
        pr_amount=None,
        status="draft",
    ),
]


def _written(lines: list[PoLineRow]) -> bytes:
    buf = io.BytesIO()
    assert write_po_workbook(buf, lines) == len(lines)
    return buf.getvalue()


def test_the_header_is_the_imports_columns_in_order_on_the_first_sheet() -> None:
    assert list(PO_HEADERS) == IMPORT_COLUMNS == [spec.label for spec in POS.fields]
    wb = openpyxl.load_workbook(io.BytesIO(_written(LINES)))
    assert wb.sheetnames[0] == PO_SHEET == "POs"
    ws = wb[PO_SHEET]
    assert [c.value for c in ws[1]] == IMPORT_COLUMNS
    assert ws.max_row == 1 + len(LINES) and ws.freeze_panes == "B2"


def test_one_row_per_po_line_with_its_pos_fields_typed() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(_written(LINES)))[PO_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows[0] == [
        "4500012",
        datetime(2026, 5, 4),
        "Acme Cloud",
        "Opex India Pvt Ltd",
        "INR",
        1500,
        "PR-1",
        datetime(2026, 4, 20),
        1600,
        "IT-FY27-0001",
        1000,
        "Approved",
    ]
    assert rows[1][9:] == ["IT-FY27-0002", 500, "Approved"]  # the PO's fields repeat on each of its lines
    assert rows[2] == [
        "PO/2026/7",
        datetime(2026, 5, 4),
        None,
        None,
        "USD",
        12345678.91,
        None,
        None,
        None,
        "IT-FY27-0003",
        12345678.91,
        "Draft",
    ]
    assert ws["A2"].data_type == "s"  # a numeric PO number stays text
    assert ws["B2"].number_format == "dd-mmm-yyyy" and ws["F2"].number_format == "#,##0.00"


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_formula_looking_text_stays_text(text: str) -> None:
    data = _written([_line(text, text, "1.00", vendor=text, entity=text, pr_number=text)])
    ws = openpyxl.load_workbook(io.BytesIO(data))[PO_SHEET]
    for ref in ("A2", "C2", "D2", "G2", "J2"):
        cell = ws[ref]
        assert (cell.value, cell.data_type) == (text, "s"), ref
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_the_import_reads_the_export_back_to_the_same_values(tmp_path: Path) -> None:
    tricky = _line("=cmd|' /C calc'!A0", "@UID-1", "1.00", vendor="+Vendor", pr_number="-PR", po_value=D("1.00"))
    path = tmp_path / "pos.xlsx"
    path.write_bytes(_written([*LINES, tricky]))
    parsed = read_import(path, POS, ReadOptions())
    assert parsed.errors == [] and parsed.sheet == PO_SHEET and parsed.header_row == 1
    assert set(parsed.present) == set(POS.names) and parsed.ignored_columns == []
    got = parsed.rows.drop("row", "valid", "sheet_rows").to_dicts()
    expected = [
        {
            name: (value.title() if name == "status" else value)
            for name, value in ((n, getattr(line, n)) for n in POS.names)
        }
        for line in [*LINES, tricky]
    ]
    for row in expected:
        row["pr_amount"] = row["pr_amount"] or D(0)  # an empty amount cell reads as zero
        row["po_value"] = row["po_value"] or D(0)
    assert got == expected


def test_no_lines_give_a_header_only_workbook() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(_written([])))[PO_SHEET]
    assert [c.value for c in ws[1]] == IMPORT_COLUMNS and ws.max_row == 1


def test_nothing_is_written_when_the_rows_fail(tmp_path: Path) -> None:
    def failing() -> Iterator[PoLineRow]:
        yield LINES[0]
        raise RuntimeError("the database went away")

    target = tmp_path / "pos.xlsx"
    with pytest.raises(RuntimeError):
        write_po_workbook(target, failing())
    assert not target.exists()


def test_polars_reads_the_sheet_as_a_table() -> None:
    frame = pl.read_excel(io.BytesIO(_written(LINES)), sheet_name=PO_SHEET)
    assert frame.columns == IMPORT_COLUMNS and frame.height == len(LINES)
