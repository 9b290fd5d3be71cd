"""The actuals import on real PostgreSQL: date shapes, FY and month from the date, the duplicate rules,
linking to budget lines and PO lines, FX conversion, masters."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from opex_app.auth.permissions import cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import Actual, AuditEvent, BudgetLine, ImportBatch, PoLine, PurchaseOrder, Vendor
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.fx import set_rate
from opex_app.services.imports import ImportOptions, run_import
from opex_app.settings import get_settings
from tests.domain.workbooks import csv_bytes, write_workbook

# FYs no other test writes: FY52 = Apr 2051 - Mar 2052.
FY51, FY52 = FiscalYear(2051), FiscalYear(2052)
HEADER = ["Invoice No", "Invoice Date", "Vendor", "Amount", "Currency", "UID", "PO Number", "Remarks"]
DAY = date(2051, 4, 15)
EXCEL_SERIAL = (DAY - date(1899, 12, 30)).days


@pytest.fixture()
def tag() -> str:
    return uuid.uuid4().hex[:6]


def _row(invoice: str, day: object = DAY, vendor: str | None = None, amount: object = 1000, **more: object) -> list:
    return [
        invoice,
        day,
        vendor,
        amount,
        more.get("currency"),
        more.get("uid"),
        more.get("po"),
        more.get("remarks"),
    ]


def _file(tmp_path: Path, rows: list[list[object]], header: list[str] = HEADER, name: str = "actuals.xlsx") -> Path:
    return write_workbook(tmp_path / name, [header, *rows], sheet="Ledger")


def _import(session: Session, path: Path, **options: Any):
    return run_import(session, cli_principal(), "actuals", path, file_name=path.name, options=ImportOptions(**options))


def _actuals(session: Session, *invoices: str) -> dict[str, Actual]:
    session.expire_all()
    found = session.exec(select(Actual).where(col(Actual.invoice_number).in_(invoices)))
    return {a.invoice_number: a for a in found}


def _vendor(session: Session, name: str) -> int:
    vendor = Vendor(name=name, name_key=name.casefold())
    session.add(vendor)
    session.flush()
    assert vendor.id is not None
    return vendor.id


def _line(session: Session, uid: str, fy: FiscalYear = FY52) -> int:
    line = BudgetLine(fiscal_year_id=ensure_fiscal_year(session, fy).id, uid=uid, created_by="test")
    session.add(line)
    session.flush()
    assert line.id is not None
    return line.id


def _po(
    session: Session,
    number: str,
    vendor_id: int | None,
    allocations: list[tuple[int, str]],
    *,
    status: str = "approved",
    currency: str = "INR",
    rate: str = "1",
) -> list[int]:
    """A PO with one line per (budget line id, amount); returns the PO line ids."""
    total = sum(Decimal(amount) for _, amount in allocations)
    po = PurchaseOrder(
        po_number=number,
        fiscal_year_id=ensure_fiscal_year(session, FY52).id,
        vendor_id=vendor_id,
        currency_code=currency,
        status=status,
        po_date=date(2051, 4, 1),
        total_amount=total,
        fx_rate=Decimal(rate),
        total_amount_base=total * Decimal(rate),
        created_by="test",
    )
    session.add(po)
    session.flush()
    ids = []
    for line_id, amount in allocations:
        line = PoLine(
            purchase_order_id=po.id,
            budget_line_id=line_id,
            amount=Decimal(amount),
            amount_base=Decimal(amount) * Decimal(rate),
        )
        session.add(line)
        session.flush()
        ids.append(line.id)
    return ids


def _messages(items) -> list[str]:
    return [item.message for item in items]


@pytest.fixture()
def month_first() -> Iterator[None]:
    import os

    old = os.environ.get("OPEX_DAY_FIRST_DATES")
    os.environ["OPEX_DAY_FIRST_DATES"] = "false"
    get_settings.cache_clear()
    try:
        yield
    finally:
        if old is None:
            del os.environ["OPEX_DAY_FIRST_DATES"]
        else:
            os.environ["OPEX_DAY_FIRST_DATES"] = old
        get_settings.cache_clear()


# ---------------------------------------------------------------------------------------------- dates


def test_every_date_shape_is_read_as_the_invoice_date(session: Session, tmp_path: Path, tag: str) -> None:
    shapes: list[object] = [
        DAY,  # a date cell
        EXCEL_SERIAL,  # an Excel serial number in a number cell
        str(EXCEL_SERIAL),  # ... and typed as text
        "2051-04-15",
        "15/04/2051",  # day first (the default)
        "15-04-2051",
        "15-Apr-2051",
        "15 April 2051",
    ]
    rows = [_row(f"{tag}-{i}", shape) for i, shape in enumerate(shapes)]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed", _messages(result.errors)
    stored = _actuals(session, *[row[0] for row in rows])
    assert len(stored) == len(shapes)
    assert {a.invoice_date for a in stored.values()} == {DAY}
    assert {a.fiscal_month for a in stored.values()} == {1}


def test_csv_dates_are_day_first_by_default(session: Session, tag: str) -> None:
    data = csv_bytes([HEADER, _row(f"{tag}-1", "05/04/2051"), _row(f"{tag}-2", "2051-04-05")])
    result = run_import(session, cli_principal(), "actuals", data, file_name="ledger.csv")
    assert result.status == "committed", _messages(result.errors)
    assert {a.invoice_date for a in _actuals(session, f"{tag}-1", f"{tag}-2").values()} == {date(2051, 4, 5)}


def test_month_first_dates_when_day_first_is_off(session: Session, tmp_path: Path, tag: str, month_first) -> None:
    path = _file(tmp_path, [_row(f"{tag}-1", "04/15/2051"), _row(f"{tag}-2", "15/04/2051")])
    result = _import(session, path, skip_invalid=True)
    assert result.status == "committed"
    assert _actuals(session, f"{tag}-1")[f"{tag}-1"].invoice_date == DAY
    (error,) = result.errors
    assert error.cell == "B3" and "04/01/2026" in error.message  # the example is month first too


def test_an_empty_or_unreadable_date_is_an_error_on_its_row(session: Session, tmp_path: Path, tag: str) -> None:
    path = _file(tmp_path, [_row(f"{tag}-1", None), _row(f"{tag}-2", "31/02/2051"), _row(f"{tag}-3")])
    result = _import(session, path)
    assert result.status == "rejected"
    assert [(e.cell, e.row) for e in result.errors] == [("B2", 2), ("B3", 3)]
    assert "Invoice Date is empty" in result.errors[0].message
    assert _actuals(session, f"{tag}-3") == {}


def test_fy_and_fiscal_month_come_from_each_invoice_date(session: Session, tmp_path: Path, tag: str) -> None:
    rows = [_row(f"{tag}-1", date(2051, 3, 31)), _row(f"{tag}-2", date(2051, 4, 1)), _row(f"{tag}-3", date(2052, 3, 1))]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed"
    payload = result.to_json()
    assert payload["fiscal_year"] is None and payload["fiscal_years"] == ["FY51", "FY52"]
    stored = _actuals(session, f"{tag}-1", f"{tag}-2", f"{tag}-3")
    fy51, fy52 = ensure_fiscal_year(session, FY51).id, ensure_fiscal_year(session, FY52).id
    assert (stored[f"{tag}-1"].fiscal_year_id, stored[f"{tag}-1"].fiscal_month) == (fy51, 12)
    assert (stored[f"{tag}-2"].fiscal_year_id, stored[f"{tag}-2"].fiscal_month) == (fy52, 1)
    assert (stored[f"{tag}-3"].fiscal_year_id, stored[f"{tag}-3"].fiscal_month) == (fy52, 12)
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and batch.fiscal_year_id is None and batch.kind == "actuals"


def test_a_file_of_one_fy_names_it(session: Session, tmp_path: Path, tag: str) -> None:
    result = _import(session, _file(tmp_path, [_row(f"{tag}-1"), _row(f"{tag}-2", date(2052, 1, 9))]))
    payload = result.to_json()
    assert payload["fiscal_year"] == "FY52" and payload["fiscal_years"] == ["FY52"]
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and batch.fiscal_year_id == ensure_fiscal_year(session, FY52).id


def test_with_fy_an_invoice_of_another_fy_is_an_error(session: Session, tmp_path: Path, tag: str) -> None:
    path = _file(tmp_path, [_row(f"{tag}-1"), _row(f"{tag}-2", date(2051, 3, 31))])
    result = _import(session, path, fiscal_year=FY52)
    assert result.status == "rejected"
    (error,) = result.errors
    assert error.row == 3 and "outside FY52" in error.message and "FY51" in error.message


# ---------------------------------------------------------------------------------------------- duplicates


def test_a_repeat_in_the_file_with_the_same_amount_and_date_is_skipped(
    session: Session, tmp_path: Path, tag: str
) -> None:
    vendor = f"Dup Vendor {tag}"
    rows = [_row(f"{tag}-1", vendor=vendor), _row(f"{tag}-1", "15/04/2051", vendor=vendor), _row(f"{tag}-2")]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed"
    assert (result.rows_total, result.rows_accepted, result.lines_created, result.lines_unchanged) == (3, 3, 2, 1)
    assert result.to_json()["duplicates_skipped"] == 1
    assert len(_actuals(session, f"{tag}-1")) == 1


def test_a_repeat_in_the_file_with_another_amount_is_an_error(session: Session, tmp_path: Path, tag: str) -> None:
    rows = [_row(f"{tag}-1", amount=1000), _row(f"{tag}-2"), _row(f"{tag}-1", amount=1200)]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "rejected"
    (error,) = result.errors
    assert error.cell == "A4"
    assert "also on row 2" in error.message and "1,000.00" in error.message and "1,200.00" in error.message
    assert _actuals(session, f"{tag}-1", f"{tag}-2") == {}


def test_a_repeat_with_another_date_is_an_error_but_another_vendor_is_another_invoice(
    session: Session, tmp_path: Path, tag: str
) -> None:
    rows = [
        _row(f"{tag}-1", vendor=f"A {tag}"),
        _row(f"{tag}-1", vendor=f"B {tag}"),  # another vendor: another invoice
        _row(f"{tag}-1", vendor=f"a {tag}  "),  # the same vendor spelt differently, same amount and date
        _row(f"{tag}-1", date(2051, 4, 16), vendor=f"A {tag}"),  # another date
    ]
    result = _import(session, _file(tmp_path, rows), skip_invalid=True)
    assert result.status == "committed"
    assert [e.row for e in result.errors] == [5]
    assert (result.lines_created, result.to_json()["duplicates_skipped"]) == (2, 1)


def test_reimporting_a_file_changes_nothing(session: Session, tmp_path: Path, tag: str) -> None:
    rows = [_row(f"{tag}-{i}", vendor=f"Re Vendor {tag}" if i % 2 else None, amount=100 + i) for i in range(5)]
    path = _file(tmp_path, rows)
    first = _import(session, path)
    assert first.status == "committed" and first.lines_created == 5
    before = {a.id: (a.version, a.amount) for a in _actuals(session, *[r[0] for r in rows]).values()}
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "actual")).all()
    again = _import(session, path)
    payload = again.to_json()
    assert payload["status"] == "committed" and payload["rows_accepted"] == 5 and payload["rows_rejected"] == 0
    assert (payload["lines_created"], payload["lines_updated"], payload["lines_unchanged"]) == (0, 0, 5)
    assert payload["duplicates_skipped"] == 5 and payload["masters_created"] == 0
    assert again.message.startswith("No changes")
    assert {a.id: (a.version, a.amount) for a in _actuals(session, *[r[0] for r in rows]).values()} == before
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "actual")).all() == events


def test_a_stored_invoice_with_another_amount_or_date_is_an_error(session: Session, tmp_path: Path, tag: str) -> None:
    vendor = f"Stored Vendor {tag}"
    _import(session, _file(tmp_path, [_row(f"{tag}-1", vendor=vendor), _row(f"{tag}-2", vendor=vendor)], name="a.xlsx"))
    rows = [
        _row(f"{tag}-1", vendor=vendor.upper(), amount=999),
        _row(f"{tag}-2", date(2051, 5, 1), vendor=vendor),
        _row(f"{tag}-3", vendor=vendor),
    ]
    result = _import(session, _file(tmp_path, rows, name="b.xlsx"))
    assert result.status == "rejected"
    assert [e.cell for e in result.errors] == ["A2", "A3"]
    assert "already stored with INR 1,000.00 dated 15-Apr-2051" in result.errors[0].message
    assert "INR 999.00" in result.errors[0].message
    assert "dated 01-May-2051" in result.errors[1].message
    skipped = _import(session, _file(tmp_path, rows, name="b.xlsx"), skip_invalid=True)
    assert (skipped.lines_created, skipped.to_json()["duplicates_skipped"]) == (1, 0)
    assert _actuals(session, f"{tag}-1")[f"{tag}-1"].amount == Decimal("1000.00")


def test_invoices_without_a_vendor_are_one_vendor(session: Session, tmp_path: Path, tag: str) -> None:
    header = ["Invoice Number", "Date", "Net Amount"]
    _import(session, _file(tmp_path, [[f"{tag}-1", DAY, 10]], header=header, name="a.xlsx"))
    result = _import(session, _file(tmp_path, [[f"{tag}-1", DAY, 10], [f"{tag}-1", DAY, 11]], header, "b.xlsx"))
    assert result.status == "rejected" and [e.row for e in result.errors] == [3]
    assert result.to_json()["duplicates_skipped"] == 1


# ---------------------------------------------------------------------------------------------- linking


def test_a_po_number_links_to_its_line_for_the_uid(session: Session, tmp_path: Path, tag: str) -> None:
    vendor_id = _vendor(session, f"Link Vendor {tag}")
    line_a, line_b = _line(session, f"{tag}-A"), _line(session, f"{tag}-B")
    _, po_b = _po(session, f"PO-{tag}", vendor_id, [(line_a, "5000"), (line_b, "5000")])
    rows = [_row(f"{tag}-1", vendor=f"Link Vendor {tag}", uid=f"{tag}-B", po=f"PO-{tag}")]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed" and result.warnings == []
    actual = _actuals(session, f"{tag}-1")[f"{tag}-1"]
    assert (actual.budget_line_id, actual.po_line_id) == (line_b, po_b)
    assert actual.purchase_order_id is not None and (actual.uid_ref, actual.po_ref) == (f"{tag}-B", f"PO-{tag}")


def test_a_po_number_alone_links_to_the_pos_only_line(session: Session, tmp_path: Path, tag: str) -> None:
    line = _line(session, f"{tag}-A")
    (po_line,) = _po(session, f"PO-{tag}", None, [(line, "5000")])
    result = _import(session, _file(tmp_path, [_row(f"{tag}-1", po=f"PO-{tag}")]))
    assert result.status == "committed" and result.warnings == []
    actual = _actuals(session, f"{tag}-1")[f"{tag}-1"]
    assert (actual.budget_line_id, actual.po_line_id) == (line, po_line)


def test_a_po_of_several_lines_without_a_uid_is_stored_unlinked(session: Session, tmp_path: Path, tag: str) -> None:
    line_a, line_b = _line(session, f"{tag}-A"), _line(session, f"{tag}-B")
    _po(session, f"PO-{tag}", None, [(line_a, "5000"), (line_b, "5000")])
    rows = [_row(f"{tag}-1", po=f"PO-{tag}"), _row(f"{tag}-2", po=f"PO-{tag}", uid=f"{tag}-C")]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed"
    assert [(w.cell, w.row) for w in result.warnings] == [("G2", 2), ("G3", 3)]
    assert "has 2 lines" in result.warnings[0].message and "no line for UID" in result.warnings[1].message
    for actual in _actuals(session, f"{tag}-1", f"{tag}-2").values():
        assert (actual.budget_line_id, actual.po_line_id, actual.purchase_order_id) == (None, None, None)
        assert actual.po_ref == f"PO-{tag}"


def test_a_uid_links_to_the_line_and_its_one_open_po_line_of_the_vendor(
    session: Session, tmp_path: Path, tag: str
) -> None:
    vendor, other = f"Uid Vendor {tag}", f"Other Vendor {tag}"
    vendor_id, other_id = _vendor(session, vendor), _vendor(session, other)
    one, two, closed = _line(session, f"{tag}-1"), _line(session, f"{tag}-2"), _line(session, f"{tag}-3")
    (open_line,) = _po(session, f"PO-{tag}-1", vendor_id, [(one, "5000")])
    _po(session, f"PO-{tag}-2", other_id, [(one, "5000")])  # another vendor's PO on the same line
    _po(session, f"PO-{tag}-3", vendor_id, [(two, "5000")])
    _po(session, f"PO-{tag}-4", vendor_id, [(two, "5000")])  # two open PO lines: which one is not said
    _po(session, f"PO-{tag}-5", vendor_id, [(closed, "5000")], status="closed")  # not open
    rows = [
        _row(f"{tag}-a", vendor=vendor, uid=f"{tag}-1"),
        _row(f"{tag}-b", vendor=vendor, uid=f"{tag}-2"),
        _row(f"{tag}-c", vendor=vendor, uid=f"{tag}-3"),
        _row(f"{tag}-d", uid=f"{tag}-1"),  # no vendor: the line only
    ]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed" and result.warnings == []
    stored = _actuals(session, *[r[0] for r in rows])
    assert (stored[f"{tag}-a"].budget_line_id, stored[f"{tag}-a"].po_line_id) == (one, open_line)
    assert (stored[f"{tag}-b"].budget_line_id, stored[f"{tag}-b"].po_line_id) == (two, None)
    assert (stored[f"{tag}-c"].budget_line_id, stored[f"{tag}-c"].po_line_id) == (closed, None)
    assert (stored[f"{tag}-d"].budget_line_id, stored[f"{tag}-d"].po_line_id) == (one, None)


def test_a_uid_names_the_line_of_the_invoices_fy(session: Session, tmp_path: Path, tag: str) -> None:
    fy51_line = _line(session, f"{tag}-1", FY51)
    rows = [_row(f"{tag}-a", date(2051, 3, 31), uid=f"{tag}-1"), _row(f"{tag}-b", uid=f"{tag}-1")]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed"
    (warning,) = result.warnings
    assert warning.cell == "F3" and f"UID '{tag}-1' matches no budget line of FY52" in warning.message
    stored = _actuals(session, f"{tag}-a", f"{tag}-b")
    assert stored[f"{tag}-a"].budget_line_id == fy51_line
    assert (stored[f"{tag}-b"].budget_line_id, stored[f"{tag}-b"].uid_ref) == (None, f"{tag}-1")


def test_an_unknown_po_number_is_a_warning_and_the_actual_waits_unlinked(
    session: Session, tmp_path: Path, tag: str
) -> None:
    line = _line(session, f"{tag}-1")
    result = _import(session, _file(tmp_path, [_row(f"{tag}-a", uid=f"{tag}-1", po=f"NOPE-{tag}")]))
    assert result.status == "committed" and result.lines_created == 1
    (warning,) = result.warnings
    assert f"PO Number 'NOPE-{tag}' matches no purchase order" in warning.message and "Unlinked" in warning.message
    actual = _actuals(session, f"{tag}-a")[f"{tag}-a"]
    assert (actual.budget_line_id, actual.uid_ref, actual.po_ref) == (None, f"{tag}-1", f"NOPE-{tag}")
    assert line  # the UID alone would have matched: any reference that matches nothing leaves it unlinked


def test_booking_against_a_closed_po_reopens_nothing(session: Session, tmp_path: Path, tag: str) -> None:
    line = _line(session, f"{tag}-1")
    (po_line,) = _po(session, f"PO-{tag}", None, [(line, "5000")], status="closed")
    result = _import(session, _file(tmp_path, [_row(f"{tag}-a", po=f"PO-{tag}")]))
    assert result.status == "committed"
    (warning,) = result.warnings
    assert "is closed" in warning.message and "nothing re-opens" in warning.message
    assert _actuals(session, f"{tag}-a")[f"{tag}-a"].po_line_id == po_line
    po = session.exec(select(PurchaseOrder).where(PurchaseOrder.po_number == f"PO-{tag}")).one()
    assert po.status == "closed" and po.version == 1


def test_exceeding_a_po_line_is_allowed_with_a_warning(session: Session, tmp_path: Path, tag: str) -> None:
    line = _line(session, f"{tag}-1")
    (po_line,) = _po(session, f"PO-{tag}", None, [(line, "1500")])
    _import(session, _file(tmp_path, [_row(f"{tag}-a", po=f"PO-{tag}", amount=1000)], name="a.xlsx"))
    rows = [_row(f"{tag}-b", po=f"PO-{tag}", amount=500), _row(f"{tag}-c", po=f"PO-{tag}", amount=1)]
    result = _import(session, _file(tmp_path, rows, name="b.xlsx"))
    assert result.status == "committed" and result.lines_created == 2
    (warning,) = result.warnings  # 1,000 + 500 is exactly the allocation: no warning on that row
    assert warning.cell == "D3"
    assert "INR 1,501.00 invoiced of INR 1,500.00 allocated" in warning.message
    assert {a.po_line_id for a in _actuals(session, f"{tag}-b", f"{tag}-c").values()} == {po_line}


def test_an_invoice_in_another_currency_counts_against_the_po_in_its_currency(
    session: Session, tmp_path: Path, tag: str
) -> None:
    set_rate(session, cli_principal(), currency="USD", rate="80", effective_from=date(2051, 4, 1))
    set_rate(session, cli_principal(), currency="USD", rate="100", effective_from=date(2051, 4, 10))
    line = _line(session, f"{tag}-1")
    _po(session, f"PO-{tag}", None, [(line, "100")], currency="USD", rate="80")
    # INR 9,000 is USD 112.50 at the PO's rate: above the USD 100 allocated
    result = _import(session, _file(tmp_path, [_row(f"{tag}-a", po=f"PO-{tag}", amount=9000)]))
    (warning,) = result.warnings
    assert "USD 112.50 invoiced of USD 100.00" in warning.message
    # USD 50 (at 100 on the invoice date) is USD 50 against the PO, whatever the rates
    result = _import(
        session, _file(tmp_path, [_row(f"{tag}-b", po=f"PO-{tag}", amount=50, currency="usd")], name="b.xlsx")
    )
    assert "USD 162.50 invoiced" in result.warnings[0].message


# ---------------------------------------------------------------------------------------------- FX, masters


def test_foreign_invoices_convert_at_the_rate_on_their_date(session: Session, tmp_path: Path, tag: str) -> None:
    set_rate(session, cli_principal(), currency="EUR", rate="90.123456", effective_from=date(2051, 4, 1))
    set_rate(session, cli_principal(), currency="EUR", rate="91", effective_from=date(2051, 4, 16))
    rows = [
        _row(f"{tag}-1", amount="1,000.50", currency="EUR"),
        _row(f"{tag}-2", date(2051, 4, 16), amount=10, currency="eur"),
        _row(f"{tag}-3", amount=10),  # the base currency: rate 1
    ]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "committed", _messages(result.errors)
    stored = _actuals(session, f"{tag}-1", f"{tag}-2", f"{tag}-3")
    one = stored[f"{tag}-1"]
    assert (one.currency_code, one.amount, one.fx_rate, one.amount_base) == (
        "EUR",
        Decimal("1000.50"),
        Decimal("90.123456"),
        Decimal("90168.52"),  # 1000.50 x 90.123456 = 90168.518728
    )
    assert (stored[f"{tag}-2"].fx_rate, stored[f"{tag}-2"].amount_base) == (Decimal("91"), Decimal("910.00"))
    base = stored[f"{tag}-3"]
    assert (base.currency_code, base.fx_rate, base.amount_base) == ("INR", Decimal(1), Decimal("10.00"))


def test_a_missing_rate_is_an_error_naming_the_currency_and_date(session: Session, tmp_path: Path, tag: str) -> None:
    set_rate(session, cli_principal(), currency="GBP", rate="105", effective_from=date(2051, 4, 10))
    rows = [
        _row(f"{tag}-1", date(2051, 4, 9), currency="GBP"),
        _row(f"{tag}-2", currency="GBP"),
        _row(f"{tag}-3", date(2051, 4, 9), currency="GBP", amount=5),
    ]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "rejected"
    assert [(e.cell, e.value) for e in result.errors] == [("E2", "GBP"), ("E4", "GBP")]
    assert "no GBP rate on 2051-04-09" in result.errors[0].message and "fx set GBP" in result.errors[0].message
    partial = _import(session, _file(tmp_path, rows), skip_invalid=True)
    assert partial.status == "committed" and partial.lines_created == 1
    assert _actuals(session, f"{tag}-2")[f"{tag}-2"].amount_base == Decimal("105000.00")


def test_unknown_vendors_are_created_or_refused_with_strict_masters(session: Session, tmp_path: Path, tag: str) -> None:
    path = _file(tmp_path, [_row(f"{tag}-1", vendor=f"New Vendor {tag}"), _row(f"{tag}-2", vendor=f"new vendor {tag}")])
    strict = _import(session, path, strict_masters=True)
    assert strict.status == "rejected" and [e.cell for e in strict.errors] == ["C2", "C3"]
    assert "strict masters" in strict.errors[0].message
    result = _import(session, path)
    assert result.status == "committed" and result.masters_created == 1 and result.lines_created == 2
    vendor = session.exec(select(Vendor).where(Vendor.name_key == f"new vendor {tag}")).one()
    assert {a.vendor_id for a in _actuals(session, f"{tag}-1", f"{tag}-2").values()} == {vendor.id}
    again = _import(session, path, strict_masters=True)
    assert again.status == "committed" and again.to_json()["duplicates_skipped"] == 2


def test_the_exports_derived_columns_are_read_as_derived(session: Session, tmp_path: Path, tag: str) -> None:
    header = [*HEADER[:7], "Rate", "Base Amount", "FY", "Month", "Remarks"]
    row = [f"{tag}-1", DAY, None, 10, "INR", None, None, 1, 10, "FY52", "Apr-51", "note"]
    result = _import(session, _file(tmp_path, [row], header=header))
    assert result.status == "committed" and result.ignored_columns == []
    (warning,) = result.warnings
    assert "'Rate', 'Base Amount', 'FY', 'Month' are derived" in warning.message
    assert _actuals(session, f"{tag}-1")[f"{tag}-1"].remarks == "note"


def test_a_batch_writes_one_audit_event(session: Session, tmp_path: Path, tag: str) -> None:
    result = _import(session, _file(tmp_path, [_row(f"{tag}-1"), _row(f"{tag}-2", uid="nowhere")]))
    events = session.exec(select(AuditEvent).where(AuditEvent.import_batch_id == result.import_batch_id)).all()
    (event,) = [e for e in events if e.entity == "actual"]
    assert event.action == "import"
    assert event.changes == {"created": [None, 2], "fiscal_years": [None, ["FY52"]], "unlinked": [None, 2]}
    assert {a.import_batch_id for a in _actuals(session, f"{tag}-1", f"{tag}-2").values()} == {result.import_batch_id}


def test_a_dry_run_writes_nothing(session: Session, tmp_path: Path, tag: str) -> None:
    result = _import(session, _file(tmp_path, [_row(f"{tag}-1", vendor=f"Dry {tag}")]), dry_run=True)
    assert result.status == "dry-run" and result.lines_created == 1 and result.masters_created == 1
    assert _actuals(session, f"{tag}-1") == {}
