"""The budget import on real PostgreSQL: commit, re-import, update, reject, skip, strict masters, dry run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from opex_app.auth.permissions import PermissionDenied, cli_principal
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import AuditEvent, BudgetLine, FiscalYearRow, ImportBatch, Tower, Vendor
from opex_app.services.imports import ImportOptions, WorkbookUnreadable, run_import
from tests.domain.workbooks import write_workbook

# A fiscal year and master names no other test writes: the end-to-end and CLI tests commit their data.
FY = FiscalYear(2041)
HEADER = ["UID", "Description", "Tower", "Vendor", "Currency", "Service Start", *FY.month_labels()]
TOWER, VENDOR = "Import Test Infrastructure", "Import Test Cloud"


def _row(
    uid: str,
    amount: float = 1000,
    *,
    tower: str = TOWER,
    vendor: str = VENDOR,
    description: str = "Hosting",
) -> list[object]:
    return [uid, description, tower, vendor, "INR", date(2040, 4, 1), *[amount] * 12]


def _file(tmp_path: Path, rows: list[list[object]], name: str = "budget.xlsx") -> Path:
    return write_workbook(tmp_path / name, [HEADER, *rows])


def _import(session: Session, path: Path, principal=None, **options) -> object:
    return run_import(
        session,
        principal or cli_principal(),
        "budget",
        path,
        file_name=path.name,
        options=ImportOptions(fiscal_year=FY, **options),
    )


def _lines(session: Session) -> dict[str, BudgetLine]:
    session.expire_all()
    fy = session.exec(select(FiscalYearRow).where(FiscalYearRow.end_year == 2041)).first()
    if fy is None:
        return {}
    return {line.uid: line for line in session.exec(select(BudgetLine).where(BudgetLine.fiscal_year_id == fy.id))}


def test_commit_creates_lines_masters_batch_and_audit(session: Session, tmp_path: Path) -> None:
    result = _import(session, _file(tmp_path, [_row("IT-1"), _row("IT-2", 250.5, vendor="  import TEST   cloud ")]))
    assert result.status == "committed"
    assert (result.rows_total, result.rows_accepted, result.rows_rejected) == (2, 2, 0)
    assert (result.lines_created, result.lines_updated, result.lines_unchanged) == (2, 0, 0)
    assert result.masters_created == 2  # one tower, one vendor (two spellings of one name)
    lines = _lines(session)
    assert lines["IT-2"].m01 == Decimal("250.50") and lines["IT-2"].total == Decimal("3006.00")
    assert lines["IT-1"].vendor_id == lines["IT-2"].vendor_id
    assert lines["IT-1"].service_start == date(2040, 4, 1)
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and batch.status == "committed" and batch.lines_created == 2 and len(batch.sha256) == 64
    created = session.exec(select(AuditEvent).where(AuditEvent.import_batch_id == batch.id)).all()
    listed = next(e for e in created if e.entity == "budget_line")
    assert listed.changes == {"created_uids": [None, ["IT-1", "IT-2"]]}
    assert {e.entity for e in created} == {"budget_line", "tower", "vendor"}


def test_reimport_of_the_same_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = _file(tmp_path, [_row("IT-1"), _row("IT-2")])
    _import(session, path)
    before = {uid: (line.version, line.updated_at) for uid, line in _lines(session).items()}
    again = _import(session, path)
    assert again.status == "committed"
    assert (again.lines_created, again.lines_updated, again.lines_unchanged) == (0, 0, 2)
    assert "No changes" in again.message
    assert {uid: (line.version, line.updated_at) for uid, line in _lines(session).items()} == before


def test_changed_cells_are_previewed_updated_and_audited(session: Session, tmp_path: Path) -> None:
    _import(session, _file(tmp_path, [_row("IT-1"), _row("IT-2")]))
    changed = _row("IT-2", description="Hosting (renewed)", tower="Import Test Security")
    changed[6 + 4] = 1500  # Aug-26
    preview = _import(session, _file(tmp_path, [_row("IT-1"), changed], "v2.xlsx"), dry_run=True)
    assert preview.status == "dry-run" and preview.lines_updated == 1 and preview.lines_unchanged == 1
    assert {(c.key, c.field, c.before, c.after) for c in preview.changes} == {
        ("IT-2", "Description", "Hosting", "Hosting (renewed)"),
        ("IT-2", "Tower", TOWER, "Import Test Security"),
        ("IT-2", "Aug-40", "1000.00", "1500.00"),
    }
    assert _lines(session)["IT-2"].m05 == Decimal("1000.00")  # a dry run writes nothing
    result = _import(session, _file(tmp_path, [_row("IT-1"), changed], "v2.xlsx"))
    line = _lines(session)["IT-2"]
    assert result.lines_updated == 1 and line.m05 == Decimal("1500.00") and line.version == 2
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "budget_line", AuditEvent.entity_id == str(line.id), AuditEvent.action == "update"
        )
    ).one()
    assert event.changes == {
        "m05": ["1000.00", "1500.00"],
        "description": ["Hosting", "Hosting (renewed)"],
        "tower": [TOWER, "Import Test Security"],
    }


def test_lines_missing_from_the_file_are_listed_and_kept(session: Session, tmp_path: Path) -> None:
    _import(session, _file(tmp_path, [_row("IT-1"), _row("IT-2")]))
    result = _import(session, _file(tmp_path, [_row("IT-1")], "partial.xlsx"))
    assert result.missing_count == 1 and result.missing_keys == ["IT-2"]
    assert set(_lines(session)) == {"IT-1", "IT-2"}


def test_a_file_with_errors_is_rejected_and_writes_nothing(session: Session, tmp_path: Path) -> None:
    bad = _row("IT-2")
    bad[6 + 2] = "abc"  # Jun-26, column I
    result = _import(session, _file(tmp_path, [_row("IT-1", tower="Brand New Tower"), bad]))
    assert result.status == "rejected"
    assert (result.rows_total, result.rows_accepted, result.rows_rejected) == (2, 1, 1)
    assert result.lines_created == 0
    [error] = result.errors
    assert (error.sheet, error.cell, error.row) == ("Budget", "I3", 3)
    assert error.value == "abc"
    assert _lines(session) == {}
    assert session.exec(select(Tower).where(Tower.name_key == "brand new tower")).first() is None
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and batch.status == "rejected" and batch.errors and batch.errors[0]["cell"] == "I3"


def test_skip_invalid_commits_the_valid_rows(session: Session, tmp_path: Path) -> None:
    bad = _row("IT-2")
    bad[6] = "#REF!"
    result = _import(session, _file(tmp_path, [_row("IT-1"), bad]), skip_invalid=True)
    assert result.status == "committed" and result.lines_created == 1 and result.rows_rejected == 1
    assert set(_lines(session)) == {"IT-1"}
    assert result.errors and result.errors[0].cell == "G3"


def test_strict_masters_and_unknown_currency_are_cell_errors(session: Session, tmp_path: Path) -> None:
    odd = _row("IT-2", vendor="Nobody Ltd")
    odd[4] = "XYZ"
    result = _import(session, _file(tmp_path, [_row("IT-1"), odd]), strict_masters=True)
    assert result.status == "rejected"
    cells = {(e.cell, e.column) for e in result.errors}
    assert ("E3", "currency") in cells and ("D3", "vendor") in cells and ("D2", "vendor") in cells
    messages = " | ".join(e.message for e in result.errors)
    assert "unknown currency 'XYZ'" in messages and "unknown vendor 'Nobody Ltd'" in messages
    assert session.exec(select(Vendor).where(Vendor.name_key == "nobody ltd")).first() is None


def test_viewer_may_not_import(session: Session, tmp_path: Path, viewer) -> None:
    with pytest.raises(PermissionDenied):
        _import(session, _file(tmp_path, [_row("IT-1")]), principal=viewer)
    assert _lines(session) == {}


def test_not_a_workbook_is_unreadable(session: Session, tmp_path: Path) -> None:
    fake = tmp_path / "budget.xlsx"
    fake.write_bytes(b"\x00\x01binary junk\xff" * 10)
    with pytest.raises(WorkbookUnreadable):
        _import(session, fake)
    assert _lines(session) == {}


def test_dry_run_creates_no_fiscal_year(session: Session, tmp_path: Path) -> None:
    result = _import(session, _file(tmp_path, [_row("IT-1")]), dry_run=True)
    assert result.status == "dry-run" and result.lines_created == 1 and result.masters_created == 2
    assert (
        session.exec(select(func.count()).select_from(FiscalYearRow).where(FiscalYearRow.end_year == 2041)).one() == 0
    )


def test_references_are_enforced_by_the_database(session: Session, tmp_path: Path) -> None:
    _import(session, _file(tmp_path, [_row("IT-1")]))
    line = _lines(session)["IT-1"]
    nested = session.begin_nested()
    with pytest.raises(DBAPIError, match="does not exist"):
        session.execute(text("UPDATE budget_line SET tower_id = 999999 WHERE id = :id"), {"id": line.id})
    nested.rollback()
    nested = session.begin_nested()
    with pytest.raises(DBAPIError, match="never deleted"):
        session.execute(text("DELETE FROM tower"))
    nested.rollback()


def test_export_reimports_with_zero_changes(session: Session, tmp_path: Path) -> None:
    from opex_app.services.budget_export import export_budget
    from opex_app.services.budget_query import BudgetFilter

    tricky = _row("IT-3", 1234567.89, description="=SUM(A1:A3) is not a formula", vendor="+Plus @Vendor")
    rows = [_row("IT-1"), _row("IT-2", 0.01, vendor="Zeta"), tricky, [*_row("IT-4")[:5], None, *[0] * 12]]
    _import(session, _file(tmp_path, rows))
    exported = tmp_path / "export.xlsx"
    export_budget(session, cli_principal(), exported, BudgetFilter(fy=FY.name))
    again = run_import(session, cli_principal(), "budget", exported, file_name=exported.name, options=ImportOptions())
    assert again.status == "committed", again.errors
    assert (again.lines_created, again.lines_updated, again.lines_unchanged) == (0, 0, 4)
    assert _lines(session)["IT-3"].description == "=SUM(A1:A3) is not a formula"
    assert session.exec(select(Vendor.name).where(Vendor.name_key == "+plus @vendor")).one() == "+Plus @Vendor"


def test_line_history_names_the_import_that_created_it(session: Session, tmp_path: Path) -> None:
    from opex_app.services.budget_lines import get_line_detail

    _import(session, _file(tmp_path, [_row("IT-1")], "tracker-v1.xlsx"))
    changed = _row("IT-1")
    changed[6] = 2000
    _import(session, _file(tmp_path, [changed], "tracker-v2.xlsx"))
    detail = get_line_detail(session, cli_principal(), _lines(session)["IT-1"].id)
    created, updated = detail.history
    assert created.action == "import" and "tracker-v1.xlsx" in created.changes[0].after
    assert updated.action == "update" and [(c.before, c.after) for c in updated.changes] == [("1,000.00", "2,000.00")]


def test_an_import_never_clears_a_field_it_did_not_read(session: Session, tmp_path: Path) -> None:
    months = FY.month_labels()
    full = [["UID", "Description", "Tower", "Vendor", "Currency", "Service Start", "Remarks", *months]]
    full.append(["KEEP-1", "Hosting", TOWER, VENDOR, "INR", date(2040, 4, 1), "renewal due", *range(1, 13)])
    _import(session, write_workbook(tmp_path / "full.xlsx", full))
    stored = _lines(session)["KEEP-1"]
    before = {name: getattr(stored, name) for name in ("description", "tower_id", "vendor_id", "remarks", "m04")}

    partial = [["UID", *months[:3]], ["KEEP-1", 100, 200, 300]]
    preview = _import(session, write_workbook(tmp_path / "partial.xlsx", partial), dry_run=True)
    assert preview.lines_updated == 1
    assert {(c.field, c.after) for c in preview.changes} == {
        (months[0], "100.00"),
        (months[1], "200.00"),
        (months[2], "300.00"),
    }
    assert any("3 of 12 months" in w.message for w in preview.warnings)
    _import(session, write_workbook(tmp_path / "partial2.xlsx", partial))
    line = _lines(session)["KEEP-1"]
    assert [line.m01, line.m02, line.m03] == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00")]
    assert {name: getattr(line, name) for name in before} == before  # nothing the file lacks was touched
    assert line.m12 == Decimal("12.00") and line.service_start == date(2040, 4, 1) and line.currency_code == "INR"
    history = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(line.id))).all()
    assert set(history[-1].changes or {}) == {"m01", "m02", "m03"}  # the audit names only what changed


def test_a_blank_cell_of_a_column_the_file_has_clears_it(session: Session, tmp_path: Path) -> None:
    months = FY.month_labels()
    _import(
        session,
        write_workbook(
            tmp_path / "a.xlsx", [["UID", "Description", "Remarks", months[0]], ["CLR-1", "Hosting", "note", 5]]
        ),
    )
    blanked = [["UID", "Description", "Remarks", months[0]], ["CLR-1", None, "note", None]]
    preview = _import(session, write_workbook(tmp_path / "b.xlsx", blanked), dry_run=True)
    assert {(c.field, c.before, c.after) for c in preview.changes} == {
        ("Description", "Hosting", ""),
        (months[0], "5.00", "0.00"),
    }
    _import(session, write_workbook(tmp_path / "c.xlsx", blanked))
    line = _lines(session)["CLR-1"]
    assert line.description is None and line.remarks == "note" and line.m01 == Decimal("0.00")


def test_the_total_is_checked_against_the_months_as_they_will_be_stored(session: Session, tmp_path: Path) -> None:
    months = FY.month_labels()
    _import(session, _file(tmp_path, [_row("TOT-1", 100)]))  # 12 x 100 stored
    ok = [["UID", months[0], "Total"], ["TOT-1", 200, 1300]]  # 200 + 11 x 100
    assert _import(session, write_workbook(tmp_path / "ok.xlsx", ok), dry_run=True).errors == []
    wrong = [["UID", months[0], "Total"], ["TOT-1", 200, 200]]
    result = _import(session, write_workbook(tmp_path / "wrong.xlsx", wrong), dry_run=True)
    assert result.status == "rejected" and [e.column for e in result.errors] == ["total"]
    assert "1,300.00" in result.errors[0].message
