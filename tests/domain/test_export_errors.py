"""Import error report, read back with openpyxl."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from opex_app.domain.export import ERRORS_SHEET, write_error_report

HEADERS = ["Sheet", "Cell", "Row", "Column", "Value", "Message"]


@dataclass(frozen=True)
class FakeCellError:  # the real CellError lives with the importer; the report duck-types it
    sheet: str
    cell: str | None
    row: int | None
    column: str | None
    value: Any
    message: str


ERRORS = [
    FakeCellError("Budget", "L5", 5, "Apr-26", "12,34,5x", "not an amount"),
    {"sheet": "Budget", "cell": "A7", "row": 7, "column": "UID", "value": None, "message": "UID is required"},
    FakeCellError("Budget", "J9", 9, "Service Start", date(2025, 1, 1), "outside FY27"),
    FakeCellError("Budget", "M3", 3, "May-26", Decimal("-0.005"), "more than two decimals"),
    FakeCellError("Budget", "C4", 4, "Description", '=HYPERLINK("x")', "=looks like a formula"),
    FakeCellError("Budget", None, None, None, 42, "file has two FYs"),
]


def report(errors, **kwargs) -> tuple[int, openpyxl.Workbook]:
    buf = io.BytesIO()
    count = write_error_report(buf, errors, **kwargs)
    return count, openpyxl.load_workbook(buf)


def test_errors_sheet_columns_rows_and_values():
    count, wb = report(ERRORS)
    assert count == len(ERRORS)
    assert wb.sheetnames == [ERRORS_SHEET]
    ws = wb[ERRORS_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == len(ERRORS) + 1
    assert [c.value for c in ws[2]] == ["Budget", "L5", 5, "Apr-26", "12,34,5x", "not an amount"]
    assert [c.value for c in ws[3]] == ["Budget", "A7", 7, "UID", None, "UID is required"]
    assert ws["E4"].is_date and ws["E4"].value == datetime(2025, 1, 1)
    assert ws["E5"].value == pytest.approx(-0.005)
    assert ws["E6"].data_type == "s" and ws["E6"].value == '=HYPERLINK("x")'
    assert ws["F6"].data_type == "s" and ws["F6"].value == "=looks like a formula"
    assert [c.value for c in ws[7]] == ["Budget", None, None, None, 42, "file has two FYs"]


def test_errors_sheet_is_styled_filtered_frozen_and_sized():
    _, wb = report(ERRORS)
    ws = wb[ERRORS_SHEET]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:F{len(ERRORS) + 1}"
    assert ws.column_dimensions["F"].width > 50
    assert ws.column_dimensions["B"].width < ws.column_dimensions["E"].width


def test_title_goes_above_the_header():
    count, wb = report(ERRORS[:2], title="budget_FY27.xlsx: 2 errors")
    ws = wb[ERRORS_SHEET]
    assert count == 2
    assert ws["A1"].value == "budget_FY27.xlsx: 2 errors"
    assert [c.value for c in ws[3]] == HEADERS
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:F5"
    assert wb.properties.title == "budget_FY27.xlsx: 2 errors"


def test_no_errors_gives_header_only(tmp_path: Path):
    target = tmp_path / "errors.xlsx"
    assert write_error_report(target, []) == 0
    ws = openpyxl.load_workbook(target)[ERRORS_SHEET]
    assert ws.max_row == 1
    assert ws.auto_filter.ref == "A1:F1"


def test_objects_missing_attributes_leave_cells_empty():
    class Partial:
        sheet = "Budget"
        message = "bad"

    _, wb = report([Partial(), {"message": "only a message"}])
    ws = wb[ERRORS_SHEET]
    assert [c.value for c in ws[2]] == ["Budget", None, None, None, None, "bad"]
    assert [c.value for c in ws[3]] == [None, None, None, None, None, "only a message"]


def test_text_shaped_like_rich_text_xml_is_not_injected():
    text = "<r><t>x</t></r>"
    _, wb = report([{"sheet": "Budget", "cell": "C2", "value": text, "message": text}])
    ws = wb[ERRORS_SHEET]
    assert ws["E2"].value == text and ws["F2"].value == text
