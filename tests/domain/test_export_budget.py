"""Budget workbook export and import template, read back with openpyxl and fastexcel (polars)."""

from __future__ import annotations

import io
import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from opex_app.domain.export import (
    BUDGET_SHEET,
    SUMMARY_SHEET,
    budget_headers,
    write_budget_workbook,
    write_template,
)
from opex_app.domain.fiscal import FiscalYear
from tests.domain.workbooks import BUDGET_HEADERS

FY = FiscalYear(2027)
TEXT = [
    "uid",
    "parent_uid",
    "description",
    "tower",
    "budget_head",
    "cost_centre",
    "vendor",
    "entity",
    "currency",
]
MONTHS = [f"m{m:02d}" for m in range(1, 13)]
SCHEMA = {
    **dict.fromkeys(TEXT, pl.String),
    "service_start": pl.Date,
    "service_end": pl.Date,
    **dict.fromkeys(MONTHS, pl.Decimal(18, 2)),
    "remarks": pl.String,
}
HEADERS = BUDGET_HEADERS
TRICKY_TEXT = [
    "=SUM(A1:A9)",
    "+91 98450 12345",
    "-discount",
    "@vendor",
    "=1+1",
    "<r><t>rich?</t></r>",
    "Tom & Jerry <Ltd>",
    "  padded  ",
    "Müller – Straße ₹ 日本",
]


def line(uid: str, **values) -> dict:
    row = {c: None for c in SCHEMA}
    row["uid"] = uid
    row.update(values)
    return row


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


def months(*amounts: str | None) -> dict:
    return {m: (None if a is None else Decimal(a)) for m, a in zip(MONTHS, amounts, strict=False)}


def export(batches: list[pl.DataFrame], **kwargs) -> tuple[int, bytes]:
    buf = io.BytesIO()
    count = write_budget_workbook(buf, FY, batches, **kwargs)
    return count, buf.getvalue()


def budget_sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))[BUDGET_SHEET]


@pytest.fixture()
def sample() -> pl.DataFrame:
    return frame(
        [
            line(
                "IT-FY27-0001",
                parent_uid="IT-FY27-P1",
                description="Microsoft 365 E3",
                tower="Applications",
                budget_head="Software Licences",
                cost_centre="CC100",
                vendor="Microsoft",
                entity="Acme India",
                currency="INR",
                service_start=date(2026, 4, 1),
                service_end=date(2027, 3, 31),
                **months("100.10", "200.20", "0", "-50.05", "1234567.89", "0.01", "1", "2", "3", "4", "5", "6"),
            ),
            line("IT-FY27-0002", description="Only UID and one month", **months("99.99")),
            line("IT-FY27-0003", tower="", vendor=None, **months(*["10.00"] * 12)),
        ]
    )


def test_budget_headers_are_the_canonical_layout():
    assert budget_headers(FY) == HEADERS
    assert budget_headers(FY)[-2:] == ["FY Total", "Remarks"]  # Remarks last: the other columns keep their letters
    assert budget_headers(FiscalYear(2025, start_month=1))[11:23] == [
        f"{m}-25" for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    ]


def test_budget_sheet_first_with_text_headers_and_summary_after(sample):
    count, data = export([sample])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert count == 3
    assert wb.sheetnames == [BUDGET_SHEET, SUMMARY_SHEET]
    ws = wb[BUDGET_SHEET]
    header = list(ws[1])
    assert [c.value for c in header] == HEADERS
    assert all(c.data_type == "s" for c in header)  # month labels are text, never dates
    assert all(c.font.b for c in header)
    assert header[0].fill.fgColor.rgb.endswith("1F4E78")


def test_one_row_per_line_in_order_and_nothing_else(sample):
    second = frame([line("IT-FY27-0004", **months("1")), line("IT-FY27-0005", **months("2"))])
    count, data = export([sample, frame([]), second])
    ws = budget_sheet(data)
    assert count == 5
    assert ws.max_row == 6
    assert [ws.cell(r, 1).value for r in range(2, 7)] == [f"IT-FY27-000{i}" for i in range(1, 6)]


def test_frozen_panes_autofilter_and_widths(sample):
    _, data = export([sample])
    ws = budget_sheet(data)
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == "A1:Y4"
    assert ws.column_dimensions["C"].width > 35  # Description
    assert ws.column_dimensions["L"].width > 12  # a month
    assert ws.column_dimensions["Y"].width > 35  # Remarks


def test_money_and_date_cells(sample):
    _, data = export([sample])
    ws = budget_sheet(data)
    start, end = ws["J2"], ws["K2"]
    assert start.is_date and end.is_date
    assert start.value == datetime(2026, 4, 1) and end.value == datetime(2027, 3, 31)
    assert start.number_format == end.number_format == "dd-mmm-yyyy"
    for col in range(12, 25):
        cell = ws.cell(2, col)
        assert cell.data_type == "n"
        assert cell.number_format == "#,##0.00"
    assert ws["J3"].value is None  # null date -> empty cell


def test_fy_total_is_sum_of_months_and_nulls_count_as_zero(sample):
    _, data = export([sample])
    ws = budget_sheet(data)
    assert Decimal(str(ws["X2"].value)) == Decimal("1234839.15")
    assert Decimal(str(ws["X3"].value)) == Decimal("99.99")
    assert ws["M3"].value is None  # a null month stays empty
    assert Decimal(str(ws["X4"].value)) == Decimal("120.00")


def test_amounts_round_trip_to_the_same_two_dp_decimal():
    rng = random.Random(7)
    rows = []
    for i in range(300):
        amounts = [f"{rng.randint(-(10**12), 10**12) / 100:.2f}" for _ in MONTHS]
        rows.append(line(f"L{i:04d}", **months(*amounts)))
    source = frame(rows)
    _, data = export([source])
    ws = budget_sheet(data)
    for r, row in enumerate(source.iter_rows(named=True), start=2):
        got = [Decimal(str(ws.cell(r, c).value)).quantize(Decimal("0.01")) for c in range(12, 25)]
        expected = [row[m] for m in MONTHS]
        assert got[:12] == expected
        assert got[12] == sum(expected)

    back = pl.read_excel(io.BytesIO(data), sheet_name=BUDGET_SHEET)
    assert (
        back.select(pl.col(HEADERS[11:24]).round(2).cast(pl.Decimal(18, 2))).rows()
        == source.select(*MONTHS, pl.sum_horizontal(MONTHS).alias("total")).rows()
    )


def test_formula_looking_and_special_text_stays_unchanged_string_openpyxl():
    rows = [line(f"U{i}", description=text, vendor=text) for i, text in enumerate(TRICKY_TEXT)]
    rows.append(line("=UID()", parent_uid="-1"))
    _, data = export([frame(rows)])
    ws = budget_sheet(data)
    for r, text in enumerate(TRICKY_TEXT, start=2):
        for col in ("C", "G"):
            cell = ws[f"{col}{r}"]
            assert cell.data_type == "s"
            assert cell.value == text
    last = len(TRICKY_TEXT) + 2
    assert ws[f"A{last}"].value == "=UID()" and ws[f"A{last}"].data_type == "s"
    assert ws[f"B{last}"].value == "-1" and ws[f"B{last}"].data_type == "s"


def test_text_round_trips_through_fastexcel_including_escapes_and_controls():
    texts = [*TRICKY_TEXT, "_x0041_ literal", "tab\there\nnewline", "cr\r\nlf", "bell\x07char"]
    rows = [line(f"U{i}", description=text, **months("1")) for i, text in enumerate(texts)]
    _, data = export([frame(rows)])
    back = pl.read_excel(io.BytesIO(data), sheet_name=BUDGET_SHEET, schema_overrides={"Description": pl.String})
    assert back["Description"].to_list() == texts
    assert back["UID"].to_list() == [f"U{i}" for i in range(len(texts))]


def test_null_and_empty_text_are_empty_cells_not_none_strings(sample):
    _, data = export([sample])
    ws = budget_sheet(data)
    assert ws["B3"].value is None  # parent_uid null
    assert ws["D4"].value is None  # tower ""
    assert ws["G4"].value is None  # vendor null
    back = pl.read_excel(io.BytesIO(data), sheet_name=BUDGET_SHEET)
    assert "None" not in back["Vendor"].to_list()
    assert back["Vendor"].to_list() == ["Microsoft", None, None]


def test_summary_sheet_has_given_items_line_count_and_grand_total(sample):
    _, data = export([sample], summary={"Exported by": "asha@example.com", "Filter": "=Tower:Apps"})
    ws = openpyxl.load_workbook(io.BytesIO(data))[SUMMARY_SHEET]
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert pairs["Exported by"] == "asha@example.com"
    assert pairs["Filter"] == "=Tower:Apps"
    assert pairs["Financial year"] == "FY27"
    assert pairs["Lines"] == 3
    assert Decimal(str(pairs["Grand total"])) == Decimal("1235059.14")
    assert Decimal(str(pairs["Apr-26"])) == Decimal("210.09")


def test_empty_export_has_header_only(tmp_path: Path):
    target = tmp_path / "empty.xlsx"
    assert write_budget_workbook(target, FY, []) == 0
    ws = openpyxl.load_workbook(target)[BUDGET_SHEET]
    assert ws.max_row == 1
    assert ws.auto_filter.ref == "A1:Y1"


def test_writes_to_path_and_str(sample, tmp_path: Path):
    for target in (tmp_path / "a.xlsx", str(tmp_path / "b.xlsx")):
        assert write_budget_workbook(target, FY, iter([sample])) == 3
        assert openpyxl.load_workbook(target)[BUDGET_SHEET]["A4"].value == "IT-FY27-0003"


def test_missing_column_fails_before_anything_is_written(sample, tmp_path: Path):
    target = tmp_path / "bad.xlsx"
    with pytest.raises(ValueError, match="m12"):
        write_budget_workbook(target, FY, [sample, sample.drop("m12")])
    assert not target.exists()


def test_many_batches_crossing_render_slices_keep_rows_contiguous():
    sizes = [2_500, 0, 1, 4_001]
    batches, start = [], 0
    for size in sizes:
        batches.append(
            pl.DataFrame(
                {"uid": [f"L{i:05d}" for i in range(start, start + size)]}, schema={"uid": pl.String}
            ).with_columns(
                *[pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in [*TEXT[1:], "service_start", "service_end"]],
                *[pl.lit(Decimal("1.50"), dtype=pl.Decimal(18, 2)).alias(m) for m in MONTHS],
                pl.lit(None, dtype=pl.String).alias("remarks"),
            )
        )
        start += size
    count, data = export(batches)
    assert count == start
    back = pl.read_excel(io.BytesIO(data), sheet_name=BUDGET_SHEET)
    assert back.height == start
    assert back["UID"].to_list() == [f"L{i:05d}" for i in range(start)]
    assert back["FY Total"].round(2).unique().to_list() == [18.0]


def test_dates_before_1900_are_kept_as_text():
    _, data = export([frame([line("OLD", service_start=date(1899, 12, 31), service_end=date(1900, 3, 1))])])
    ws = budget_sheet(data)
    assert ws["J2"].data_type == "s" and ws["J2"].value == "1899-12-31"
    assert ws["K2"].is_date and ws["K2"].value == datetime(1900, 3, 1)


# --- remarks ----------------------------------------------------------------------------------


def test_remarks_are_the_last_column_written_as_text():
    texts = [*TRICKY_TEXT, "=1+1", "@x", "12345", "2026-04-01"]
    rows = [line(f"U{i}", remarks=text, **months("1")) for i, text in enumerate(texts)]
    rows += [line("EMPTY", remarks="", **months("1")), line("NULL", **months("1"))]
    _, data = export([frame(rows)])
    ws = budget_sheet(data)
    assert ws["Y1"].value == "Remarks" and ws.max_column == 25
    for r, text in enumerate(texts, start=2):
        cell = ws[f"Y{r}"]
        assert cell.data_type == "s", text  # never a formula, a number or a date
        assert cell.value == text
        assert cell.number_format == "General"  # not the money format of the months before it
        assert Decimal(str(ws[f"X{r}"].value)) == Decimal("1.00")  # FY Total still in its place
    empty = len(texts) + 2
    assert ws[f"Y{empty}"].value is None and ws[f"Y{empty + 1}"].value is None  # no "" or "None" text
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_remarks_round_trip_long_text_escapes_and_controls():
    long_text = ('Renewal note, with "quotes" & <tags>; ' * 200)[:4000]
    texts = [long_text, "_x0041_ literal", "tab\there\nnewline", "cr\r\nlf", "bell\x07char", 'a, "b"\nc']
    rows = [line(f"U{i}", remarks=text, **months("1")) for i, text in enumerate(texts)]
    _, data = export([frame(rows)])
    back = pl.read_excel(io.BytesIO(data), sheet_name=BUDGET_SHEET, schema_overrides={"Remarks": pl.String})
    assert back.columns[-1] == "Remarks"
    assert back["Remarks"].to_list() == texts
    assert len(back["Remarks"][0]) == 4000
    assert budget_sheet(data)["Y2"].value == long_text


def test_a_batch_without_remarks_is_refused(sample, tmp_path: Path):
    target = tmp_path / "no-remarks.xlsx"
    with pytest.raises(ValueError, match="remarks"):  # a missing column would clear every remark on re-import
        write_budget_workbook(target, FY, [sample.drop("remarks")])
    assert not target.exists()


# --- template ---------------------------------------------------------------------------------

MASTERS = {
    "tower": ["Infrastructure", "applications", "Applications", " ", "Security"],
    "budget_head": ["Software Licences"],
    "cost_centre": [],
    "vendor": ["=Evil()", "Microsoft"],
    "entity": ["Acme India"],
    "currency": ["INR", "USD"],
}


def template() -> openpyxl.Workbook:
    buf = io.BytesIO()
    write_template(buf, FY, MASTERS)
    return openpyxl.load_workbook(buf)


def test_template_sheets_headers_and_no_data_rows():
    wb = template()
    assert wb.sheetnames == [BUDGET_SHEET, "Instructions", "Lists"]
    ws = wb[BUDGET_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.max_row == 1
    assert ws.freeze_panes == "B2"
    assert ws.column_dimensions["C"].width > 35
    assert ws.column_dimensions["Y"].width > 35  # Remarks
    assert ws.auto_filter.ref == "A1:Y1"
    assert wb["Lists"].sheet_state == "hidden"
    assert wb[BUDGET_SHEET].sheet_state == "visible"


def test_template_lists_hold_distinct_sorted_masters():
    lists = template()["Lists"]
    columns = {lists.cell(1, c).value: [] for c in range(1, 7)}
    for c, name in enumerate(columns, start=1):
        columns[name] = [lists.cell(r, c).value for r in range(2, lists.max_row + 1) if lists.cell(r, c).value]
    assert list(columns) == ["Tower", "Budget Head", "Cost Centre", "Vendor", "Entity", "Currency"]
    assert columns["Tower"] == ["Applications", "applications", "Infrastructure", "Security"]
    assert columns["Vendor"] == ["=Evil()", "Microsoft"]
    assert lists["D2"].data_type == "s"
    assert columns["Cost Centre"] == []


def test_template_drop_downs_warn_but_allow_new_values():
    ws = template()[BUDGET_SHEET]
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    expected = {
        "D2:D10001": "Lists!$A$2:$A$5",
        "E2:E10001": "Lists!$B$2:$B$2",
        "F2:F10001": "Lists!$C$2:$C$2",
        "G2:G10001": "Lists!$D$2:$D$3",
        "H2:H10001": "Lists!$E$2:$E$2",
        "I2:I10001": "Lists!$F$2:$F$3",
    }
    assert {ref: dv.formula1 for ref, dv in validations.items()} == expected
    for dv in validations.values():
        assert dv.type == "list"
        assert dv.errorStyle == "warning"  # not "stop": unknown masters are created on import
        assert dv.allow_blank


def test_template_instructions_cover_the_import_rules():
    ws = template()["Instructions"]
    text = "\n".join(str(c.value) for c in ws["A"] if c.value)
    for needle in (
        "UID",
        "Apr-26",
        "Mar-27",
        "12,34,567.89",
        "(1,234.00)",
        "FY27",
        "never deletes",
        "01-Apr-2026",
        "Remarks",
    ):
        assert needle in text, needle


def test_template_rejects_unknown_master_keys():
    with pytest.raises(ValueError, match="towers"):
        write_template(io.BytesIO(), FY, {"towers": ["x"]})
