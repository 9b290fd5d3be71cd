"""Budget export on real PostgreSQL: the workbook read back, filters, permissions, streaming, the template."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from opex_app.auth.permissions import PermissionDenied, Principal, cli_principal
from opex_app.domain.budget_fields import LABELS, MONTH_FIELDS
from opex_app.domain.export import BUDGET_SHEET, LISTS_SHEET, SUMMARY_SHEET
from opex_app.domain.fiscal import FiscalYear
from opex_app.models import BudgetLine, Tower
from opex_app.services import budget_export, downloads
from opex_app.services.budget_query import BudgetFilter, fiscal_year_row
from opex_app.services.errors import NotFound, ServiceError
from opex_app.services.fiscal_years import ensure_fiscal_year
from opex_app.services.imports import ImportOptions, run_import
from opex_app.services.masters import create_missing, name_index
from opex_app.settings import get_settings
from tests.domain.workbooks import BUDGET_HEADERS

HEADERS = BUDGET_HEADERS
MULTILINE = '-discount, "quoted"\nsecond line'
NOBODY = Principal(actor="nobody@example.com")  # logged in, but no role


def _wipe_lines(session: Session) -> None:
    """No budget line in the database (inside the test's transaction, which is rolled back)."""
    for table in ("budget_note", "actual", "po_line"):
        session.execute(text(f"DELETE FROM {table}"))  # rows that reference lines
    session.execute(text("DELETE FROM budget_line"))


def _masters(session: Session) -> dict[str, dict[str, int]]:
    wanted = {
        "tower": ["Infrastructure", "Security"],
        "budget_head": ["Cloud Services", "Security Tools"],
        "cost_centre": ["CC-1001 Corporate IT"],
        "vendor": ["Microsoft India"],
        "entity": ["Acme India Pvt Ltd"],
    }
    for kind, names in wanted.items():
        create_missing(session, cli_principal(), kind, names)
    return {kind: name_index(session, kind) for kind in wanted}


def _line(fy_id: int, uid: str, ids: dict[str, dict[str, int]], **values: Any) -> BudgetLine:
    months = values.pop("months", {})
    named = values.pop("masters", {})
    masters: dict[str, Any] = {f"{kind}_id": ids[kind][name.casefold()] for kind, name in named.items()}
    line = BudgetLine(fiscal_year_id=fy_id, uid=uid, created_by="test", **masters, **values)
    for month, amount in months.items():
        setattr(line, month, Decimal(amount))
    return line


@pytest.fixture()
def lines(session: Session) -> list[BudgetLine]:
    """Three FY27 lines (added out of UID order) and one FY26 line."""
    _wipe_lines(session)
    ids = _masters(session)
    fy27 = ensure_fiscal_year(session, FiscalYear(2027)).id
    fy26 = ensure_fiscal_year(session, FiscalYear(2026)).id
    assert fy27 is not None and fy26 is not None
    common = {"budget_head": "Cloud Services", "cost_centre": "CC-1001 Corporate IT", "entity": "Acme India Pvt Ltd"}
    rows = [
        _line(
            fy27,
            "IT-FY27-0003",
            ids,
            description="=SUM(A1:A9)",
            masters={**common, "tower": "Security", "budget_head": "Security Tools"},  # no vendor
            currency_code="INR",
            service_start=date(2026, 4, 1),
            service_end=date(2027, 3, 31),
            months={"m01": "1234567.89", "m06": "0.10", "m12": "-0.01"},
            remarks="=1+1",
        ),
        _line(
            fy27,
            "IT-FY27-0001",
            ids,
            description=MULTILINE,
            masters={**common, "tower": "Infrastructure", "vendor": "Microsoft India"},
            currency_code="USD",
            months={f"m{m:02d}": "1000.05" for m in range(1, 13)},
            remarks="@x",
        ),
        _line(
            fy27,
            "IT-FY27-0002",
            ids,
            parent_uid="IT-FY27-0001",
            masters={"tower": "Infrastructure"},
            months={"m03": "99999999.99"},
        ),
        _line(fy26, "IT-FY26-0001", ids, description="last year", months={"m01": "5.00"}),
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _sheet_rows(path: Path, sheet: str = BUDGET_SHEET) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path)
    return [[cell.value for cell in row] for row in wb[sheet].iter_rows()]


def _money(value: float | None) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01")) if value is not None else Decimal("0.00")


def test_export_writes_one_row_per_line_with_master_names(
    session: Session, lines: list[BudgetLine], viewer: Principal, tmp_path: Path
) -> None:
    target = tmp_path / "budget.xlsx"
    result = budget_export.export_budget(session, viewer, target, BudgetFilter(fy="FY27"))
    assert result == budget_export.ExportResult(fiscal_year="FY27", rows=3, path=target)

    header, *body = _sheet_rows(target)
    assert header == HEADERS
    assert header[-2:] == [LABELS["total"], LABELS["remarks"]]
    assert [row[0] for row in body] == ["IT-FY27-0001", "IT-FY27-0002", "IT-FY27-0003"]  # ordered by UID
    first, second, third = (dict(zip(HEADERS, row, strict=True)) for row in body)
    assert first["Description"] == MULTILINE
    assert (first["Tower"], first["Vendor"], first["Currency"]) == ("Infrastructure", "Microsoft India", "USD")
    assert first["Service Start"] is None and first["Service End"] is None
    assert _money(first["FY Total"]) == Decimal("12000.60")
    assert first["Remarks"] == "@x" and second["Remarks"] is None and third["Remarks"] == "=1+1"
    remark_cells = [row[-1] for row in openpyxl.load_workbook(target)[BUDGET_SHEET].iter_rows(min_row=2)]
    assert [c.data_type for c in remark_cells if c.value is not None] == ["s", "s"]  # text, not formulas
    assert second["Parent UID"] == "IT-FY27-0001"
    assert second["Description"] is None and second["Budget Head"] is None and second["Currency"] is None
    assert _money(second["Jun-26"]) == Decimal("99999999.99")
    assert third["Description"] == "=SUM(A1:A9)"  # kept as text, not turned into a formula
    assert (third["Tower"], third["Budget Head"], third["Cost Centre"], third["Entity"]) == (
        "Security",
        "Security Tools",
        "CC-1001 Corporate IT",
        "Acme India Pvt Ltd",
    )
    assert third["Vendor"] is None
    assert third["Service Start"] == datetime(2026, 4, 1) and third["Service End"] == datetime(2027, 3, 31)
    assert [_money(third[m]) for m in ("Apr-26", "Sep-26", "Mar-27", "May-26")] == [
        Decimal("1234567.89"),
        Decimal("0.10"),
        Decimal("-0.01"),
        Decimal("0.00"),
    ]
    assert _money(third["FY Total"]) == Decimal("1234567.98")

    formula_cells = [
        c.coordinate
        for row in openpyxl.load_workbook(target)[BUDGET_SHEET].iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formula_cells == []
    summary = {row[0]: row[1] for row in _sheet_rows(target, SUMMARY_SHEET) if row and row[0]}
    assert summary["Filter"] == "FY27; all lines"
    assert summary["Exported by"] == viewer.actor
    assert summary["Exported at"].endswith("UTC")
    assert summary["Lines"] == 3


def test_export_reimports_every_field_unchanged(session: Session, viewer: Principal, tmp_path: Path) -> None:
    """Every field the import reads comes out of the export: re-importing the file changes nothing."""
    _wipe_lines(session)
    ids = _masters(session)
    fy27 = ensure_fiscal_year(session, FiscalYear(2027)).id
    assert fy27 is not None
    every_master = {
        "tower": "Security",
        "budget_head": "Security Tools",
        "cost_centre": "CC-1001 Corporate IT",
        "vendor": "Microsoft India",
        "entity": "Acme India Pvt Ltd",
    }
    remarks = [
        'Renewal, "3-year" deal\nsecond line',
        "=1+1",
        "@x",
        ("Tom & Jerry <Ltd> _x0041_ " + "long " * 800)[:3999] + ".",  # 4,000 characters, the editor's limit
        None,
    ]
    rows = [
        _line(
            fy27,
            f"RT-FY27-{i:04d}",
            ids,
            parent_uid=f"RT-FY27-P{i}",
            description=f'Line {i}, with "quotes"\nand a second line',
            masters=every_master if i % 2 else {**every_master, "tower": "Infrastructure"},
            currency_code="USD" if i % 2 else "INR",
            service_start=date(2026, 4, 1 + i),
            service_end=date(2027, 3, 31 - i),
            months={f"m{m:02d}": f"{(-1) ** m * (1000 * m + i)}.{m * 7 + i:02d}" for m in range(1, 13)},
            remarks=remark,
        )
        for i, remark in enumerate(remarks)
    ]
    assert len(rows[3].remarks or "") == 4000
    session.add_all(rows)
    session.flush()

    exported = tmp_path / "budget-FY27.xlsx"
    assert budget_export.export_budget(session, viewer, exported, BudgetFilter(fy="FY27")).rows == len(rows)
    back = pl.read_excel(exported, sheet_name=BUDGET_SHEET, schema_overrides={"Remarks": pl.String})
    assert back["Remarks"].to_list() == remarks  # fastexcel undoes the _x005F_ escape; openpyxl does not

    result = run_import(
        session, cli_principal(), "budget", exported, file_name=exported.name, options=ImportOptions(dry_run=True)
    )
    assert result.errors == [] and result.ignored_columns == []
    assert result.column_map["remarks"] == "Remarks"
    assert (result.status, result.fiscal_year, result.rows_rejected) == ("dry-run", "FY27", 0)
    assert (result.lines_created, result.lines_updated, result.lines_unchanged) == (0, 0, len(rows)), result.changes


def test_export_reads_back_with_polars_exact_to_two_decimals(
    session: Session, lines: list[BudgetLine], viewer: Principal, tmp_path: Path
) -> None:
    target = tmp_path / "budget.xlsx"
    budget_export.export_budget(session, viewer, target, BudgetFilter(fy="FY27"))
    frame = pl.read_excel(target, sheet_name=BUDGET_SHEET)
    assert frame.columns == HEADERS and frame.height == 3
    stored = {line.uid: line for line in lines}
    for row in frame.iter_rows(named=True):
        line = stored[row["UID"]]
        for month, label in zip(MONTH_FIELDS, HEADERS[11:23], strict=True):
            assert _money(row[label]) == getattr(line, month), (row["UID"], label)
        assert row["Remarks"] == line.remarks


@pytest.mark.parametrize(
    ("flt", "uids"),
    [
        (BudgetFilter(fy="FY27", tower="security"), ["IT-FY27-0003"]),
        (BudgetFilter(fy="fy27", tower="Infrastructure"), ["IT-FY27-0001", "IT-FY27-0002"]),
        (BudgetFilter(fy="FY27", vendor="Microsoft India"), ["IT-FY27-0001"]),
        (BudgetFilter(fy="FY27", budget_head="Security Tools"), ["IT-FY27-0003"]),
        (BudgetFilter(fy="FY27", search="second LINE"), ["IT-FY27-0001"]),
        (BudgetFilter(fy="FY27", search="0002"), ["IT-FY27-0002"]),
        (BudgetFilter(fy="FY26"), ["IT-FY26-0001"]),
        (BudgetFilter(fy="FY27", tower="Security", vendor="Microsoft India"), []),
    ],
)
def test_export_respects_the_filter(
    session: Session, lines: list[BudgetLine], viewer: Principal, tmp_path: Path, flt: BudgetFilter, uids: list[str]
) -> None:
    target = tmp_path / "budget.xlsx"
    result = budget_export.export_budget(session, viewer, target, flt)
    assert result.rows == len(uids)
    assert [row[0] for row in _sheet_rows(target)[1:]] == uids


def test_without_a_fy_the_latest_fy_with_lines_is_exported(
    session: Session, lines: list[BudgetLine], viewer: Principal, tmp_path: Path
) -> None:
    ensure_fiscal_year(session, FiscalYear(2028))  # a later FY without lines does not count
    result = budget_export.export_budget(session, viewer, tmp_path / "b.xlsx", BudgetFilter())
    assert (result.fiscal_year, result.rows) == ("FY27", 3)


def test_export_to_a_file_object(session: Session, lines: list[BudgetLine], viewer: Principal, tmp_path: Path) -> None:
    target = tmp_path / "stream.xlsx"
    with target.open("wb") as fh:
        result = budget_export.export_budget(session, viewer, fh, BudgetFilter(fy="FY26"))
    assert result.path is None and result.rows == 1
    assert _sheet_rows(target)[1][0] == "IT-FY26-0001"


def test_a_principal_without_a_role_is_refused(session: Session, lines: list[BudgetLine], tmp_path: Path) -> None:
    target = tmp_path / "refused.xlsx"
    with pytest.raises(PermissionDenied):
        budget_export.export_budget(session, NOBODY, target, BudgetFilter(fy="FY27"))
    with pytest.raises(PermissionDenied):
        budget_export.template(session, NOBODY, target, FiscalYear(2027))
    with pytest.raises(PermissionDenied, match="log in"):
        budget_export.export_budget(session, None, target, BudgetFilter(fy="FY27"))  # type: ignore[arg-type]
    assert not target.exists()


def test_no_lines_at_all_is_refused(session: Session, viewer: Principal, tmp_path: Path) -> None:
    _wipe_lines(session)
    ensure_fiscal_year(session, FiscalYear(2027))
    target = tmp_path / "none.xlsx"
    with pytest.raises(ServiceError, match="no budget lines to export"):
        budget_export.export_budget(session, viewer, target, BudgetFilter())
    with pytest.raises(NotFound, match="no fiscal year FY41"):
        budget_export.export_budget(session, viewer, target, BudgetFilter(fy="fy41"))
    assert not target.exists()


def test_a_named_fy_without_lines_exports_the_header_only(session: Session, viewer: Principal, tmp_path: Path) -> None:
    _wipe_lines(session)
    ensure_fiscal_year(session, FiscalYear(2027))
    target = tmp_path / "empty.xlsx"
    assert budget_export.export_budget(session, viewer, target, BudgetFilter(fy="FY27")).rows == 0
    assert _sheet_rows(target) == [HEADERS]


def test_lines_stream_in_typed_batches_cut_at_record_boundaries(session: Session, lines: list[BudgetLine]) -> None:
    fy_row = fiscal_year_row(session, BudgetFilter(fy="FY27"))
    assert fy_row is not None and fy_row.id is not None
    stmt = budget_export.lines_query(BudgetFilter(), fy_row.id)
    whole = list(budget_export.stream_lines(session, stmt))
    small = list(budget_export.stream_lines(session, stmt, batch_bytes=64))  # smaller than one line
    assert len(whole) == 1 and len(small) == 3
    for frame in [*whole, *small]:
        assert dict(frame.schema) == budget_export.SCHEMA
    assert pl.concat(small).equals(whole[0])
    assert whole[0]["description"].to_list() == [MULTILINE, None, "=SUM(A1:A9)"]
    assert whole[0]["remarks"].to_list() == ["@x", None, "=1+1"]


@pytest.mark.parametrize(
    ("data", "end"),
    [
        (b"a,b\nc,d\n", 8),
        (b'a,"x\ny"\nc', 8),  # the first newline is inside quotes
        (b'a,"x\ny', 0),  # no complete record yet
        (b'a,"say ""hi""\n",b\nc', 18),  # escaped quotes keep the parity
        (b"", 0),
    ],
)
def test_record_end(data: bytes, end: int) -> None:
    assert budget_export._record_end(bytearray(data)) == end


def test_describe_filter() -> None:
    flt = BudgetFilter(fy="FY27", tower="Security", vendor="Microsoft India", search="cloud")
    assert budget_export.describe_filter(flt, "FY27") == (
        'FY27; Tower = Security; Vendor = Microsoft India; UID or description contains "cloud"'
    )


def test_template_lists_active_masters_and_currencies(session: Session, viewer: Principal, tmp_path: Path) -> None:
    _masters(session)
    create_missing(session, cli_principal(), "tower", ["Retired Tower"])
    retired = session.exec(select(Tower).where(Tower.name_key == "retired tower")).one()
    retired.is_active = False
    session.add(retired)
    session.flush()
    target = tmp_path / "template.xlsx"
    budget_export.template(session, viewer, target, FiscalYear(2027))

    wb = openpyxl.load_workbook(target)
    assert [c.value for c in next(wb[BUDGET_SHEET].iter_rows(max_row=1))] == HEADERS
    columns: dict[str, list[str]] = {}
    for col in wb[LISTS_SHEET].iter_cols(values_only=True):
        columns[str(col[0])] = [v for v in col[1:] if v is not None]
    assert {"Infrastructure", "Security"} <= set(columns["Tower"])
    assert "Retired Tower" not in columns["Tower"]
    assert "Microsoft India" in columns["Vendor"] and "Acme India Pvt Ltd" in columns["Entity"]
    assert {"INR", "USD", "EUR"} <= set(columns["Currency"])


def test_downloads_are_named_after_the_fy(
    session: Session, lines: list[BudgetLine], viewer: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    result, ticket = budget_export.export_download(session, viewer, BudgetFilter(tower="Security"))
    assert result.rows == 1 and ticket.file_name == "budget-FY27.xlsx"
    assert ticket.path.parent == tmp_path / "downloads" and ticket.path.is_file()
    assert downloads.lookup(ticket.token) == ticket

    template = budget_export.template_download(session, viewer, "fy 2028")
    assert template.file_name == "budget-template-FY28.xlsx"
    assert _sheet_rows(template.path)[0][11] == "Apr-27"
    with pytest.raises(ServiceError, match="not a fiscal year"):
        budget_export.template_download(session, viewer, "next year")


def test_a_failed_export_leaves_no_download(
    session: Session, viewer: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    _wipe_lines(session)
    with pytest.raises(ServiceError):
        budget_export.export_download(session, viewer, BudgetFilter())
    assert list((tmp_path / "downloads").iterdir()) == []
