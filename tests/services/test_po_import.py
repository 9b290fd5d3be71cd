"""The purchase-order import on real PostgreSQL: new POs with their lines, statuses, the rules across a PO's
rows (agreement, allocations adding up, the UID's FY, the FX rate), masters, re-importing, updating a stored
PO (audited, invoiced lines kept), and the export read back with nothing changed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
from opex_app.services.imports import ImportOptions, ImportResult, run_import
from opex_app.services.masters import create_missing
from opex_app.services.po_export import export_pos
from tests.domain.workbooks import csv_bytes, write_workbook

# FYs no other test writes: FY61 = Apr 2060 - Mar 2061, FY62 the next.
FY61, FY62 = FiscalYear(2061), FiscalYear(2062)
DAY = date(2060, 6, 15)
HEADER = [
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
D = Decimal


@dataclass
class Seed:
    tag: str
    uids: list[str]  # three budget lines of FY61
    fy62_uid: str  # a budget line of FY62 only
    vendor: str
    entity: str

    def po(self, n: int) -> str:
        return f"PO-{self.tag}-{n}"


@pytest.fixture()
def seed(session: Session) -> Seed:
    tag = uuid.uuid4().hex[:6]
    fy61, fy62 = ensure_fiscal_year(session, FY61), ensure_fiscal_year(session, FY62)
    uids = [f"PI-{tag}-{n}" for n in (1, 2, 3)]
    for uid in uids:
        session.add(BudgetLine(fiscal_year_id=fy61.id, uid=uid, created_by="seed"))
    fy62_uid = f"PI-{tag}-62"
    session.add(BudgetLine(fiscal_year_id=fy62.id, uid=fy62_uid, created_by="seed"))
    vendor, entity = f"Po Import Vendor {tag}", f"Po Import Entity {tag}"
    create_missing(session, cli_principal(), "vendor", [vendor])
    create_missing(session, cli_principal(), "entity", [entity])
    set_rate(session, cli_principal(), currency="USD", rate="80", effective_from=date(2060, 4, 1))
    session.flush()
    return Seed(tag, uids, fy62_uid, vendor, entity)


def _row(
    number: str,
    uid: str,
    amount: object,
    *,
    value: object = None,
    day: object = DAY,
    vendor: object = None,
    entity: object = None,
    currency: object = "INR",
    pr: object = None,
    pr_date: object = None,
    pr_amount: object = None,
    status: object = None,
) -> list[object]:
    return [number, day, vendor, entity, currency, value, pr, pr_date, pr_amount, uid, amount, status]


def _file(tmp_path: Path, rows: list[list[object]], header: list[str] = HEADER, name: str = "pos.xlsx") -> Path:
    return write_workbook(tmp_path / name, [header, *rows], sheet="POs")


def _import(session: Session, path: Path, **options: Any) -> ImportResult:
    return run_import(session, cli_principal(), "pos", path, file_name=path.name, options=ImportOptions(**options))


def _po(session: Session, number: str) -> PurchaseOrder | None:
    session.expire_all()
    return session.exec(select(PurchaseOrder).where(PurchaseOrder.po_number == number)).first()


def _lines(session: Session, po: PurchaseOrder) -> dict[str, PoLine]:
    stmt = (
        select(BudgetLine.uid, PoLine)
        .join(BudgetLine, col(BudgetLine.id) == col(PoLine.budget_line_id))
        .where(PoLine.purchase_order_id == po.id)
    )
    return {uid: line for uid, line in session.exec(stmt)}


def _events(session: Session, po: PurchaseOrder) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == "purchase_order", AuditEvent.entity_id == str(po.id))
        .order_by(col(AuditEvent.id))
    )
    return list(session.exec(stmt))


def _messages(result: ImportResult) -> list[str]:
    return [e.message for e in result.errors]


def _two_pos(seed: Seed) -> list[list[object]]:
    """PO 1: INR, two lines, approved, with its PR; PO 2: USD, one line, no status (Draft), header on row 1."""
    u1, u2, _ = seed.uids
    return [
        _row(
            seed.po(1),
            u1,
            1000,
            value=1500,
            vendor=seed.vendor,
            entity=seed.entity,
            pr=f"PR-{seed.tag}",
            pr_date=date(2060, 6, 1),
            pr_amount=1600,
            status="Approved",
        ),
        _row(
            seed.po(1),
            u2,
            "500.00",
            value=1500,
            vendor=seed.vendor,
            entity=seed.entity,
            pr=f"PR-{seed.tag}",
            pr_date=date(2060, 6, 1),
            pr_amount=1600,
            status="approved",
        ),
        _row(seed.po(2), u2, 12.5, value=12.5, vendor=seed.vendor, currency="USD"),
    ]


# ---------------------------------------------------------------------------------------------- new POs


def test_new_pos_are_created_with_their_lines_converted_at_the_po_date_and_audited(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    result = _import(session, _file(tmp_path, _two_pos(seed)))
    assert result.status == "committed", _messages(result)
    assert (result.rows_total, result.rows_accepted, result.rows_rejected) == (3, 3, 0)
    assert (result.lines_created, result.lines_updated, result.lines_unchanged) == (3, 0, 0)
    payload = result.to_json()
    assert payload["fiscal_year"] == "FY61" and payload["fiscal_years"] == ["FY61"]
    assert (payload["pos_created"], payload["pos_updated"], payload["pos_unchanged"]) == (2, 0, 0)

    fy61 = ensure_fiscal_year(session, FY61).id
    first = _po(session, seed.po(1))
    assert first is not None
    assert (first.status, first.currency_code, first.total_amount, first.fx_rate) == ("approved", "INR", D(1500), D(1))
    assert (first.po_date, first.fiscal_year_id, first.total_amount_base) == (DAY, fy61, D(1500))
    assert (first.pr_number, first.pr_date, first.pr_amount) == (f"PR-{seed.tag}", date(2060, 6, 1), D(1600))
    assert first.approved_at is None and first.submitted_at is None  # history, not the workflow
    vendor = session.exec(select(Vendor).where(Vendor.id == first.vendor_id)).one()
    assert vendor.name == seed.vendor
    assert {uid: line.amount for uid, line in _lines(session, first).items()} == {
        seed.uids[0]: D(1000),
        seed.uids[1]: D(500),
    }

    second = _po(session, seed.po(2))
    assert second is not None
    assert (second.status, second.currency_code, second.fx_rate, second.total_amount_base) == (
        "draft",
        "USD",
        D(80),
        D(1000),
    )
    assert second.entity_id is None and second.pr_number is None
    (line,) = _lines(session, second).values()
    assert (line.amount, line.amount_base) == (D("12.50"), D("1000.00"))

    (event,) = _events(session, first)
    assert (event.action, event.import_batch_id) == ("imported", result.import_batch_id)
    assert event.changes is not None
    assert event.changes["status"] == [None, "approved"]
    assert event.changes["lines"] == [None, [f"{seed.uids[0]}: 1000.00", f"{seed.uids[1]}: 500.00"]]
    assert event.changes["value_base"] == [None, "1500.00"] and "entity" in event.changes
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and batch.kind == "pos" and batch.fiscal_year_id is None
    assert (batch.lines_created, batch.rows_accepted) == (3, 3)


def test_status_takes_any_case_defaults_to_draft_and_refuses_other_words(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    u1 = seed.uids[0]
    rows = [
        _row(seed.po(1), u1, 10, status="CLOSED"),
        _row(seed.po(2), u1, 10, status=" cancelled "),
        _row(seed.po(3), u1, 10),
        _row(seed.po(4), u1, 10, status="Open"),
    ]
    result = _import(session, _file(tmp_path, rows), skip_invalid=True)
    assert result.status == "committed"
    (error,) = result.errors
    assert error.cell == "L5" and error.value == "Open"
    assert "not a PO status" in error.message and "Draft, Submitted, Approved" in error.message
    statuses = {n: getattr(_po(session, seed.po(n)), "status", None) for n in (1, 2, 3, 4)}
    assert statuses == {1: "closed", 2: "cancelled", 3: "draft", 4: None}


def test_a_po_without_a_po_value_is_worth_what_it_allocates(session: Session, tmp_path: Path, seed: Seed) -> None:
    u1, u2, _ = seed.uids
    header = [h for h in HEADER if h != "PO Value"]
    rows = [[c for i, c in enumerate(row) if i != 5] for row in (_row(seed.po(1), u1, 70), _row(seed.po(1), u2, 30))]
    result = _import(session, _file(tmp_path, rows, header))
    assert result.status == "committed", _messages(result)
    po = _po(session, seed.po(1))
    assert po is not None and po.total_amount == D(100)


def test_csv_and_aliases_are_read(session: Session, seed: Seed) -> None:
    header = ["PO #", "Order Date", "Supplier", "PO Entity", "CCY", "PO Amount", "UID", "Allocation", "PO Status"]
    data = csv_bytes(
        [header, [seed.po(1), "15/06/2060", seed.vendor, "", "INR", "1,00,000", seed.uids[0], "1,00,000", ""]]
    )
    result = run_import(session, cli_principal(), "pos", data, file_name="pos.csv")
    assert result.status == "committed", _messages(result)
    po = _po(session, seed.po(1))
    assert po is not None and (po.po_date, po.total_amount, po.status) == (DAY, D(100000), "draft")


# ---------------------------------------------------------------------------------------------- the rules


def test_a_pos_header_fields_must_agree_across_its_rows(session: Session, tmp_path: Path, seed: Seed) -> None:
    u1, u2, u3 = seed.uids
    rows = [
        _row(seed.po(1), u1, 10, value=30, vendor=seed.vendor),
        _row(seed.po(1), u2, 10, value=None, vendor=seed.vendor.upper() + " "),  # blank, and the same name
        _row(seed.po(1), u3, 10, value=30, vendor="Someone Else", day=date(2060, 6, 16)),
        _row(seed.po(2), u1, 5, value=5),
    ]
    result = _import(session, _file(tmp_path, rows), skip_invalid=True)
    assert result.status == "committed"
    by_cell = {e.cell: e.message for e in result.errors}
    assert set(by_cell) == {"A2", "A3", "B4", "C4"}
    assert by_cell["C4"] == (
        f"Vendor 'Someone Else' differs from '{seed.vendor}' on row 2 of PO Number '{seed.po(1)}': "
        "a PO's rows must agree"
    )
    assert "PO Date '2060-06-16' differs from '2060-06-15' on row 2" in by_cell["B4"]
    assert (
        by_cell["A2"]
        == f"PO '{seed.po(1)}' is not imported: row 4 of it has errors (a PO's rows are imported together)"
    )
    assert (result.rows_accepted, result.rows_rejected) == (1, 3)
    assert _po(session, seed.po(1)) is None and _po(session, seed.po(2)) is not None


def test_allocations_must_add_up_to_the_po_value(session: Session, tmp_path: Path, seed: Seed) -> None:
    u1, u2, _ = seed.uids
    rows = [_row(seed.po(1), u1, 600, value=1000), _row(seed.po(1), u2, 300, value=1000)]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "rejected"
    first, second = result.errors
    assert (first.cell, first.value) == ("F2", "1,000.00")
    assert first.message == (
        f"the allocations of PO '{seed.po(1)}' add up to 900.00 but its PO Value is 1,000.00 (difference 100.00)"
    )
    assert second.cell == "A3" and "row 2 of it has errors" in second.message
    assert _po(session, seed.po(1)) is None


def test_an_allocation_must_be_above_zero_and_amounts_not_negative(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    u1 = seed.uids[0]
    rows = [_row(seed.po(1), u1, None), _row(seed.po(2), u1, -5), _row(seed.po(3), u1, 5, pr_amount=-1)]
    result = _import(session, _file(tmp_path, rows))
    assert [(e.cell, e.message.split(":")[0]) for e in result.errors] == [
        ("K2", "Allocated Amount is empty or zero"),
        ("K3", "Allocated Amount is negative (-5.00)"),
        ("I4", "PR Amount cannot be negative (-1.00 given)"),
    ]


def test_a_uid_names_the_budget_line_of_the_fy_of_the_po_date(session: Session, tmp_path: Path, seed: Seed) -> None:
    rows = [
        _row(seed.po(1), seed.fy62_uid, 10),  # a line of FY62, the PO is of FY61
        _row(seed.po(2), seed.fy62_uid, 10, day=date(2061, 4, 1)),  # FY62: found
    ]
    result = _import(session, _file(tmp_path, rows), skip_invalid=True)
    (error,) = result.errors
    assert error.cell == "J2"
    assert error.message == f"UID '{seed.fy62_uid}' is not a budget line of FY61 (the FY of the PO date 2060-06-15)"
    po = _po(session, seed.po(2))
    assert po is not None and po.fiscal_year_id == ensure_fiscal_year(session, FY62).id
    assert result.to_json()["fiscal_year"] == "FY62"


def test_a_file_may_span_fys_and_fy_restricts_it(session: Session, tmp_path: Path, seed: Seed) -> None:
    rows = [_row(seed.po(1), seed.uids[0], 10), _row(seed.po(2), seed.fy62_uid, 10, day=date(2061, 4, 1))]
    path = _file(tmp_path, rows)
    dry = _import(session, path, dry_run=True)
    assert dry.status == "dry-run" and dry.fiscal_year is None
    assert dry.to_json()["fiscal_years"] == ["FY61", "FY62"]
    only = _import(session, path, fiscal_year=FY61)
    (error,) = only.errors
    assert error.cell == "B3" and "outside FY61" in error.message and "FY62" in error.message


def test_the_same_uid_twice_under_one_po_is_an_error(session: Session, tmp_path: Path, seed: Seed) -> None:
    u1 = seed.uids[0]
    rows = [_row(seed.po(1), u1, 10, value=20), _row(seed.po(1), u1, 10, value=20), _row(seed.po(2), u1, 10)]
    result = _import(session, _file(tmp_path, rows), skip_invalid=True)
    assert result.status == "committed"
    assert [e.row for e in result.errors] == [2, 3]
    assert "appears more than once" in result.errors[0].message
    assert _po(session, seed.po(1)) is None and _po(session, seed.po(2)) is not None


def test_a_missing_rate_names_the_currency_and_the_po_date(session: Session, tmp_path: Path, seed: Seed) -> None:
    rows = [_row(seed.po(1), seed.uids[0], 10, currency="SEK"), _row(seed.po(1), seed.uids[1], 10, currency=None)]
    result = _import(session, _file(tmp_path, rows))
    assert result.status == "rejected"
    first, second = result.errors
    assert first.cell == "E2" and first.value == "SEK"
    assert "no SEK rate on 2060-06-15" in first.message and "fx set SEK RATE --from 2060-06-15" in first.message
    assert second.cell == "A3" and "not imported" in second.message


def test_unknown_masters_are_created_or_refused_with_strict_masters(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    u1, u2, _ = seed.uids
    new_vendor = f"Brand New Vendor {seed.tag}"
    rows = [
        _row(seed.po(1), u1, 10, vendor=new_vendor, entity=f"New Entity {seed.tag}"),
        _row(seed.po(1), u2, 10),  # the vendor only on the PO's first row
        _row(seed.po(2), u1, 10, vendor=seed.vendor),
    ]
    path = _file(tmp_path, rows)
    strict = _import(session, path, strict_masters=True, skip_invalid=True)
    assert strict.status == "committed"
    assert [(e.cell, e.message.split(":")[0]) for e in strict.errors] == [
        ("C2", f"unknown vendor '{new_vendor}'"),
        ("D2", f"unknown entity 'New Entity {seed.tag}'"),
        ("A3", f"PO '{seed.po(1)}' is not imported"),
    ]
    assert (strict.rows_accepted, strict.rows_rejected, strict.lines_created) == (1, 2, 1)
    assert _po(session, seed.po(1)) is None and _po(session, seed.po(2)) is not None

    created = _import(session, path)
    assert created.status == "committed", _messages(created)
    assert created.masters_new == {"vendor": [new_vendor], "entity": [f"New Entity {seed.tag}"]}
    po = _po(session, seed.po(1))
    assert po is not None
    vendor = session.exec(select(Vendor).where(Vendor.id == po.vendor_id)).one()
    assert vendor.name == new_vendor


def test_a_row_refused_by_the_pipeline_holds_back_its_whole_po_once(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    """An unknown currency on one row of a PO (found after the PO's own checks) keeps the PO's other rows out
    too, said once even when new masters make the pipeline plan twice."""
    u1, u2, _ = seed.uids
    rows = [
        _row(seed.po(1), u1, 10, currency="QQQ"),
        _row(seed.po(1), u2, 10, currency=None),
        _row(seed.po(2), u1, 10, vendor=f"Fresh Vendor {seed.tag}"),
    ]
    result = _import(session, _file(tmp_path, rows), skip_invalid=True)
    assert result.status == "committed" and result.masters_created == 1
    assert [(e.cell, e.message.split(":")[0]) for e in result.errors] == [
        ("E2", "unknown currency 'QQQ'"),
        ("A3", f"PO '{seed.po(1)}' is not imported"),
    ]
    assert (result.rows_accepted, result.rows_rejected, result.lines_created) == (1, 2, 1)
    assert _po(session, seed.po(1)) is None and _po(session, seed.po(2)) is not None
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and (batch.rows_accepted, batch.rows_rejected) == (1, 2)


# ---------------------------------------------------------------------------------------------- importing again


def test_reimporting_a_file_changes_nothing(session: Session, tmp_path: Path, seed: Seed) -> None:
    path = _file(tmp_path, _two_pos(seed))
    assert _import(session, path).status == "committed"
    before = _po(session, seed.po(1))
    assert before is not None
    version, events = before.version, len(_events(session, before))

    again = _import(session, path)
    assert again.status == "committed"
    assert (again.lines_created, again.lines_updated, again.lines_unchanged) == (0, 0, 3)
    assert again.to_json()["pos_unchanged"] == 2 and again.changes == []
    assert again.message == "No changes: every line in the file matches what is stored."
    after = _po(session, seed.po(1))
    assert after is not None and after.version == version and len(_events(session, after)) == events


def test_a_file_without_some_columns_leaves_them_as_stored(session: Session, tmp_path: Path, seed: Seed) -> None:
    assert _import(session, _file(tmp_path, _two_pos(seed))).status == "committed"
    keep = ["PO Number", "PO Date", "UID", "Allocated Amount", "PO Value", "Currency"]
    rows = [[value for head, value in zip(HEADER, row, strict=True) if head in keep] for row in _two_pos(seed)]
    header = [head for head in HEADER if head in keep]
    again = _import(session, _file(tmp_path, rows, header, "short.xlsx"))
    assert (again.lines_unchanged, again.lines_updated) == (3, 0), again.changes
    po = _po(session, seed.po(1))
    assert po is not None and po.status == "approved" and po.pr_number == f"PR-{seed.tag}"


def test_a_changed_po_is_updated_and_audited_with_before_and_after(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    u1, u2, u3 = seed.uids
    assert _import(session, _file(tmp_path, _two_pos(seed))).status == "committed"
    po = _po(session, seed.po(1))
    assert po is not None
    kept_id = _lines(session, po)[u1].id

    rows = [  # u1 changes, u2 goes, u3 comes; the PR number and the status change
        _row(seed.po(1), u1, 1200, value=1500, vendor=seed.vendor, entity=seed.entity, pr="PR-2", status="Closed"),
        _row(seed.po(1), u3, 300, value=1500, vendor=seed.vendor, entity=seed.entity, pr="PR-2", status="Closed"),
        _row(seed.po(2), u2, 12.5, value=12.5, vendor=seed.vendor, currency="USD"),
    ]
    path = _file(tmp_path, rows, name="changed.xlsx")
    dry = _import(session, path, dry_run=True)
    assert (dry.lines_created, dry.lines_updated, dry.lines_unchanged) == (1, 1, 1)
    changes = {(c.key, c.field): (c.before, c.after) for c in dry.changes}
    assert changes[(seed.po(1), "PR Number")] == (f"PR-{seed.tag}", "PR-2")
    assert changes[(seed.po(1), "Status")] == ("approved", "closed")
    assert changes[(seed.po(1), "PR Date")] == ("2060-06-01", "")
    assert changes[(seed.po(1), "Allocations")] == (f"{u1}: 1000.00; {u2}: 500.00", f"{u1}: 1200.00; {u3}: 300.00")
    assert (seed.po(1), "PO Value") not in changes and all(key == seed.po(1) for key, _ in changes)

    result = _import(session, path)
    assert result.status == "committed", _messages(result)
    po = _po(session, seed.po(1))
    assert po is not None
    assert (po.status, po.pr_number, po.pr_date, po.pr_amount, po.version) == ("closed", "PR-2", None, None, 2)
    assert po.updated_by == cli_principal().actor and po.closed_at is None
    lines = _lines(session, po)
    assert {uid: line.amount for uid, line in lines.items()} == {u1: D(1200), u3: D(300)}
    assert lines[u1].id == kept_id  # matched by budget line: the line keeps its id
    created, updated = _events(session, po)
    assert created.changes is not None and created.changes["status"] == [None, "approved"]
    assert (updated.action, updated.import_batch_id) == ("imported", result.import_batch_id)
    assert updated.changes == {
        "status": ["approved", "closed"],
        "pr_number": [f"PR-{seed.tag}", "PR-2"],
        "pr_date": ["2060-06-01", None],
        "pr_amount": ["1600.00", None],
        "lines": [[f"{u1}: 1000.00", f"{u2}: 500.00"], [f"{u1}: 1200.00", f"{u3}: 300.00"]],
    }


def test_a_stored_line_with_invoices_cannot_be_removed(session: Session, tmp_path: Path, seed: Seed) -> None:
    u1, u2, _ = seed.uids
    assert _import(session, _file(tmp_path, _two_pos(seed))).status == "committed"
    po = _po(session, seed.po(1))
    assert po is not None
    line = _lines(session, po)[u2]
    session.add(
        Actual(
            fiscal_year_id=po.fiscal_year_id,
            budget_line_id=line.budget_line_id,
            purchase_order_id=po.id,
            po_line_id=line.id,
            invoice_number=f"INV-{seed.tag}",
            invoice_date=DAY,
            fiscal_month=3,
            currency_code="INR",
            amount=D(100),
            amount_base=D(100),
            created_by="test",
        )
    )
    session.flush()
    rows = [
        _row(seed.po(1), u1, 1500, value=1500.01, status="Approved", vendor=seed.vendor),
        _row(seed.po(1), seed.uids[2], 0.01, value=1500.01, status="Approved"),
    ]
    result = _import(session, _file(tmp_path, rows, name="drop.xlsx"))
    assert result.status == "rejected"
    first, second = result.errors
    assert first.cell == "A2" and f"allocation to {u2} that has invoices booked against it" in first.message
    assert second.cell == "A3" and "not imported" in second.message

    kept = [_row(seed.po(1), u1, 1000, value=1600), _row(seed.po(1), u2, 600, value=1600)]  # changing it is fine
    assert _import(session, _file(tmp_path, kept, name="keep.xlsx")).status == "committed"
    po = _po(session, seed.po(1))
    assert po is not None and _lines(session, po)[u2].amount == D(600)


# ---------------------------------------------------------------------------------------------- the export read back


def test_the_export_reimports_with_nothing_changed(session: Session, tmp_path: Path, seed: Seed) -> None:
    rows = [
        *_two_pos(seed),
        _row(seed.po(3), seed.fy62_uid, 99.99, value=99.99, day=date(2061, 5, 2), vendor='=HYPERLINK("x")'),
    ]
    assert _import(session, _file(tmp_path, rows)).status == "committed"
    out = tmp_path / "export.xlsx"
    exported = export_pos(session, cli_principal(), out)
    assert exported.rows >= 4
    again = _import(session, out)
    assert again.status == "committed", _messages(again)
    assert (again.lines_created, again.lines_updated) == (0, 0)
    assert again.lines_unchanged == exported.rows and again.errors == []
    po = _po(session, seed.po(3))
    assert po is not None and po.version == 1
    vendor = session.exec(select(Vendor).where(Vendor.id == po.vendor_id)).one()
    assert vendor.name == '=HYPERLINK("x")'  # kept as text both ways


def test_the_export_of_one_fy_has_only_its_pos(session: Session, tmp_path: Path, seed: Seed) -> None:
    rows = [_row(seed.po(1), seed.uids[0], 10), _row(seed.po(2), seed.fy62_uid, 10, day=date(2061, 4, 1))]
    assert _import(session, _file(tmp_path, rows)).status == "committed"
    out = tmp_path / "fy62.xlsx"
    exported = export_pos(session, cli_principal(), out, fy="FY62")
    assert exported.fiscal_year == "FY62"
    again = _import(session, out, dry_run=True)
    assert again.to_json()["fiscal_years"] == ["FY62"] and again.lines_unchanged == exported.rows
    numbers = set(_file_column(out, "PO Number"))
    assert seed.po(2) in numbers and seed.po(1) not in numbers


def _file_column(path: Path, header: str) -> list[Any]:
    import polars as pl

    return pl.read_excel(path, sheet_name="POs").get_column(header).to_list()


def test_vendor_names_of_stored_pos_are_unchanged_by_other_spellings(
    session: Session, tmp_path: Path, seed: Seed
) -> None:
    """A vendor written in another case is the same master: not a change."""
    rows = [_row(seed.po(1), seed.uids[0], 10, vendor=seed.vendor)]
    assert _import(session, _file(tmp_path, rows)).status == "committed"
    other = [_row(seed.po(1), seed.uids[0], 10, vendor=f"  {seed.vendor.lower()} ")]
    again = _import(session, _file(tmp_path, other, name="case.xlsx"))
    assert again.lines_unchanged == 1 and again.masters_new == {}
    assert session.exec(select(Vendor).where(col(Vendor.name).ilike(seed.vendor))).all()[0].name == seed.vendor
