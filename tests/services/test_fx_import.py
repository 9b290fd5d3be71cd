"""The FX import on real PostgreSQL: the engine reads the file, FxStrategy adds rows (history is never
overwritten), a re-import changes nothing, a correction adds a row, bad rows are refused on their cells."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from opex_app.auth.permissions import PermissionDenied, Principal, cli_principal
from opex_app.models import AuditEvent, FxRate, ImportBatch
from opex_app.services.fx import rate_on, set_rate
from opex_app.services.imports import ImportOptions, ImportResult, run_import
from tests.domain.workbooks import write_workbook

# Currencies and dates no other test writes: the CLI and end-to-end tests commit their rates.
HEADER = ["Currency", "Rate", "Effective From"]


def _import(session: Session, path: Path, principal: Principal | None = None, **options: bool) -> ImportResult:
    who = principal or cli_principal()
    return run_import(session, who, "fx", path, file_name=path.name, options=ImportOptions(**options))


def _file(tmp_path: Path, rows: list[list[object]], name: str = "rates.xlsx") -> Path:
    return write_workbook(tmp_path / name, [HEADER, *rows], sheet="Rates")


def _rows(session: Session, *codes: str) -> list[tuple[str, date, Decimal]]:
    found = session.exec(select(FxRate).where(col(FxRate.currency_code).in_(codes)).order_by(col(FxRate.id))).all()
    return [(r.currency_code, r.effective_from, r.rate_to_base) for r in found]


def test_import_then_reimport_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        [
            ["MXN", 4.85, date(2042, 4, 1)],
            ["brl", "16.123456789", "01/04/2042"],
            ["MXN", "4.9", "2042-10-01"],
        ],
    )
    result = _import(session, path)
    assert result.status == "committed" and result.fiscal_year is None and result.errors == []
    assert (result.lines_created, result.lines_updated, result.lines_unchanged) == (3, 0, 0)
    assert _rows(session, "MXN", "BRL") == [
        ("MXN", date(2042, 4, 1), Decimal("4.85")),
        ("BRL", date(2042, 4, 1), Decimal("16.123457")),
        ("MXN", date(2042, 10, 1), Decimal("4.9")),
    ]
    assert rate_on(session, "MXN", date(2042, 9, 30)) == Decimal("4.85")
    batch = session.get(ImportBatch, result.import_batch_id)
    assert batch is not None and batch.kind == "fx" and batch.fiscal_year_id is None
    events = session.exec(select(AuditEvent).where(AuditEvent.import_batch_id == result.import_batch_id)).all()
    assert sorted(e.action for e in events) == ["create"] * 3
    assert all(e.entity == "fx_rate" and e.actor == cli_principal().actor for e in events)

    again = _import(session, path)
    assert again.status == "committed" and again.changes == []
    assert (again.lines_created, again.lines_updated, again.lines_unchanged) == (0, 0, 3)
    assert again.message.startswith("No changes")
    assert len(_rows(session, "MXN", "BRL")) == 3


def test_a_correction_adds_a_row_and_is_previewed(session: Session, tmp_path: Path) -> None:
    set_rate(session, cli_principal(), currency="ZAR", rate="4.6", effective_from=date(2042, 4, 1))
    set_rate(session, cli_principal(), currency="ZAR", rate="4.7", effective_from=date(2042, 4, 1))  # latest
    path = _file(tmp_path, [["ZAR", 4.75, date(2042, 4, 1)], ["ZAR", 4.7, date(2042, 5, 1)]])

    dry = _import(session, path, dry_run=True)
    assert dry.status == "dry-run" and (dry.lines_created, dry.lines_updated) == (1, 1)
    assert [(c.key, c.field, c.before, c.after) for c in dry.changes] == [
        ("ZAR 2042-04-01", "Rate", "4.700000", "4.750000")
    ]
    assert len(_rows(session, "ZAR")) == 2  # a dry run writes nothing

    done = _import(session, path)
    assert done.status == "committed" and (done.lines_created, done.lines_updated) == (1, 1)
    assert _rows(session, "ZAR") == [
        ("ZAR", date(2042, 4, 1), Decimal("4.6")),
        ("ZAR", date(2042, 4, 1), Decimal("4.7")),  # history kept
        ("ZAR", date(2042, 4, 1), Decimal("4.75")),
        ("ZAR", date(2042, 5, 1), Decimal("4.7")),
    ]
    assert rate_on(session, "ZAR", date(2042, 4, 30)) == Decimal("4.75")
    correction = session.exec(
        select(AuditEvent).where(AuditEvent.import_batch_id == done.import_batch_id, AuditEvent.action == "correct")
    ).one()
    assert correction.changes is not None and correction.changes["rate_to_base"] == ["4.700000", "4.750000"]


def test_base_currency_and_bad_rates_are_errors_on_their_cells(session: Session, tmp_path: Path) -> None:
    count = session.exec(select(func.count()).select_from(FxRate)).one()
    path = _file(
        tmp_path,
        [
            ["INR", 1, date(2042, 4, 1)],  # row 2: the base currency
            ["THB", 0, date(2042, 4, 1)],  # row 3
            ["THB", -2.5, date(2042, 5, 1)],  # row 4
            ["THB", "abc", date(2042, 6, 1)],  # row 5
            ["XXQ", 3, date(2042, 4, 1)],  # row 6: unknown currency
            ["THB", "", "2042-07-01"],  # row 7: empty rate
            ["MYR", 18.5, date(2042, 4, 1)],  # row 8: fine
        ],
    )
    refused = _import(session, path)
    assert refused.status == "rejected" and refused.lines_created == 0
    by_cell = {e.cell: e.message for e in refused.errors}
    assert set(by_cell) == {"A2", "B3", "B4", "B5", "A6", "B7"}
    assert "base currency" in by_cell["A2"]
    assert "greater than zero" in by_cell["B3"] and "-2.5" in by_cell["B4"]
    assert "abc" in by_cell["B5"] and "unknown currency" in by_cell["A6"] and "greater than zero" in by_cell["B7"]
    assert session.exec(select(func.count()).select_from(FxRate)).one() == count  # nothing written

    skipped = _import(session, path, skip_invalid=True)
    assert skipped.status == "committed" and skipped.lines_created == 1 and skipped.rows_rejected == 6
    assert _rows(session, "MYR", "THB", "INR") == [("MYR", date(2042, 4, 1), Decimal("18.5"))]


def test_the_same_rate_twice_in_a_file_is_an_error(session: Session, tmp_path: Path) -> None:
    path = _file(tmp_path, [["KRW", 0.06, date(2042, 4, 1)], ["KRW", 0.061, date(2042, 4, 1)]])
    result = _import(session, path)
    assert result.status == "rejected"
    assert [e.cell for e in result.errors] == ["A2", "A3"]
    assert all("appears more than once" in e.message for e in result.errors)


def test_only_those_who_manage_fx_rates_write_them(session: Session, tmp_path: Path, analyst: Principal) -> None:
    path = _file(tmp_path, [["TWD", 2.6, date(2042, 4, 1)]])
    assert _import(session, path, analyst, dry_run=True).lines_created == 1  # an analyst may preview
    with pytest.raises(PermissionDenied):
        _import(session, path, analyst)
