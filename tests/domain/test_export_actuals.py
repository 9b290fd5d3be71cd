"""The actuals workbook: layout, cell types, formula safety, read back by the import engine; and the round
trip on PostgreSQL: import, export, import the export = nothing changed."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from sqlmodel import Session, col, func, select

from opex_app.auth.permissions import cli_principal
from opex_app.domain.export import ACTUALS_COLUMNS, ACTUALS_HEADERS, ACTUALS_SHEET, write_actuals_workbook
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import ReadOptions, read_import
from opex_app.domain.ingest.specs import get_spec
from opex_app.models import Actual

HEADERS = [
    "Invoice No",
    "Invoice Date",
    "Vendor",
    "UID",
    "PO Number",
    "Currency",
    "Amount",
    "Rate",
    "Base Amount",
    "FY",
    "Month",
    "Remarks",
]
NASTY = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "<r>rich</r>", "a\tb", "_x0041_"]


def _frame(rows: list[dict]) -> pl.DataFrame:
    schema = {
        "invoice_number": pl.String,
        "invoice_date": pl.Date,
        "vendor": pl.String,
        "uid": pl.String,
        "po_number": pl.String,
        "currency": pl.String,
        "amount": pl.Decimal(18, 2),
        "rate": pl.Decimal(18, 6),
        "base_amount": pl.Decimal(18, 2),
        "fy": pl.String,
        "month": pl.String,
        "remarks": pl.String,
    }
    return pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=schema)


def _rows(n: int = 3) -> list[dict]:
    return [
        {
            "invoice_number": f"INV-{i}",
            "invoice_date": date(2026, 4, 1 + i),
            "vendor": NASTY[i % len(NASTY)],
            "uid": f"IT-{i}" if i % 2 else None,
            "po_number": "4500012" if i == 1 else None,
            "currency": "USD" if i == 2 else "INR",
            "amount": Decimal("1234.56") * (i + 1),
            "rate": Decimal("83.250000") if i == 2 else Decimal(1),
            "base_amount": Decimal("1234.56") * (i + 1) * (Decimal("83.25") if i == 2 else 1),
            "fy": "FY27",
            "month": "Apr-26",
            "remarks": NASTY[(i + 3) % len(NASTY)],
        }
        for i in range(n)
    ]


def test_headers_are_the_import_specs_labels() -> None:
    assert list(ACTUALS_HEADERS) == HEADERS
    spec = get_spec("actuals")
    assert [spec.match(header) for header in HEADERS] == list(ACTUALS_COLUMNS)


def test_one_sheet_header_in_row_one_one_row_per_actual(tmp_path: Path) -> None:
    path = tmp_path / "actuals.xlsx"
    rows = _rows(7)
    assert write_actuals_workbook(path, [_frame(rows[:4]), _frame([]), _frame(rows[4:])]) == 7
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == ACTUALS_SHEET
    ws = wb[ACTUALS_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == 8 and ws.freeze_panes == "B2"
    second = [c.value for c in ws[3]]
    assert second[:3] == ["INV-1", datetime(2026, 4, 2), NASTY[1]]
    assert second[3:8] == ["IT-1", "4500012", "INR", pytest.approx(2469.12), 1]
    assert ws["B3"].number_format == "dd-mmm-yyyy" and ws["G3"].number_format == "#,##0.00"
    assert ws.cell(4, 8).value == pytest.approx(83.25) and ws.cell(4, 8).number_format == "#,##0.00####"
    assert ws["D2"].value is None  # no UID: an empty cell


def test_text_is_never_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "actuals.xlsx"
    rows = _rows(len(NASTY))
    write_actuals_workbook(path, [_frame(rows)])
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    ws = openpyxl.load_workbook(path)[ACTUALS_SHEET]
    assert {c.data_type for c in [*ws["C"][1:], *ws["L"][1:]]} == {"s"}  # text cells (values: read back below)


def test_the_import_engine_reads_it_back(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    rows = _rows(len(NASTY))  # every text that could be mistaken for a formula, rich text or an escape
    write_actuals_workbook(buffer, [_frame(rows)])
    parsed = read_import(buffer.getvalue(), get_spec("actuals"), ReadOptions(file_name="actuals.xlsx"))
    assert parsed.errors == [] and parsed.ignored_columns == [] and parsed.sheet == ACTUALS_SHEET
    assert parsed.header_row == 1 and parsed.layout == "table"
    back = parsed.rows.select(
        "invoice_number", "invoice_date", "vendor", "uid", "po_number", "currency", "amount", "remarks"
    )
    expected = _frame(rows).select(back.columns)
    assert back.to_dicts() == expected.to_dicts()


# ---------------------------------------------------------------------------------------------- round trip


def test_export_then_import_changes_nothing(session: Session, tmp_path: Path) -> None:
    from opex_app.services.actuals_export import export_actuals
    from opex_app.services.fx import set_rate
    from opex_app.services.imports import ImportOptions, run_import
    from tests.domain.workbooks import write_workbook
    from tests.services.test_actuals_import import _line, _po, _vendor

    tag = uuid.uuid4().hex[:6]
    set_rate(session, cli_principal(), currency="USD", rate="83.25", effective_from=date(2052, 4, 1))
    vendor = f"=Round Trip {tag}"
    vendor_id = _vendor(session, vendor)
    line = _line(session, f"{tag}-L", FiscalYear(2053))
    _po(session, f"PO-{tag}", vendor_id, [(line, "100000")])
    header = ["Invoice No", "Invoice Date", "Vendor", "Amount", "Currency", "UID", "PO Number", "Remarks"]
    rows = [
        [f"{tag}-1", date(2052, 4, 15), vendor, 1000, None, f"{tag}-L", None, "@linked by UID"],
        [f"{tag}-2", "16/04/2052", vendor, "250.5", "USD", None, f"PO-{tag}", None],
        [f"{tag}-3", date(2053, 3, 31), None, 7, None, f"{tag}-nowhere", f"NOPE-{tag}", "+waits"],
        [f"{tag}-4", date(2053, 4, 1), vendor, -12, None, None, None, None],  # FY54
    ]
    source = write_workbook(tmp_path / "ledger.xlsx", [header, *rows])
    first = run_import(session, cli_principal(), "actuals", source, file_name="ledger.xlsx")
    assert first.status == "committed" and first.lines_created == 4
    stored = session.exec(select(func.count()).select_from(Actual)).one()

    out = tmp_path / "export.xlsx"
    result = export_actuals(session, cli_principal(), out)
    assert result.rows == stored and {"FY53", "FY54"} <= set(result.fiscal_years)
    ws = openpyxl.load_workbook(out)[ACTUALS_SHEET]
    by_invoice = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if str(r[0]).startswith(tag)}
    assert by_invoice[f"{tag}-1"][3:5] == (f"{tag}-L", f"PO-{tag}")  # linked by UID to the vendor's open PO line
    assert by_invoice[f"{tag}-2"][5:10] == ("USD", 250.5, 83.25, 20854.13, "FY53")
    assert by_invoice[f"{tag}-3"][2:5] == (None, f"{tag}-nowhere", f"NOPE-{tag}")  # references as typed
    assert by_invoice[f"{tag}-3"][9:12] == ("FY53", "Mar-53", "+waits")
    assert by_invoice[f"{tag}-1"][2] == vendor and by_invoice[f"{tag}-4"][9:11] == ("FY54", "Apr-53")

    again = run_import(session, cli_principal(), "actuals", out, file_name="export.xlsx", options=ImportOptions())
    payload = again.to_json()
    assert payload["status"] == "committed" and payload["errors"] == [] and payload["ignored_columns"] == []
    assert (payload["lines_created"], payload["lines_updated"], payload["masters_created"]) == (0, 0, 0)
    assert payload["duplicates_skipped"] == stored == payload["rows_accepted"]
    assert session.exec(select(func.count()).select_from(Actual)).one() == stored

    only = export_actuals(session, cli_principal(), tmp_path / "fy54.xlsx", fy=FiscalYear(2054))
    fy54 = [
        r[0]
        for r in openpyxl.load_workbook(tmp_path / "fy54.xlsx")[ACTUALS_SHEET].iter_rows(min_row=2, values_only=True)
    ]
    assert only.fiscal_years == ["FY54"] and f"{tag}-4" in fy54 and f"{tag}-1" not in fy54
    assert session.exec(select(Actual).where(col(Actual.invoice_number) == f"{tag}-4")).one().fiscal_month == 1
    empty = export_actuals(session, cli_principal(), tmp_path / "none.xlsx", fy=FiscalYear(2099))
    assert empty.rows == 0 and empty.fiscal_years == []
