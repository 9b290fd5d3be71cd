"""The rules of the spec-driven import engine, each on a generated workbook or CSV: the long layout,
the user's mapping, sheets, CSV exports, month names in seven languages, total headers, rows that are
not lines, warnings, and every shape of refusal."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest import (
    CellError,
    Closest,
    ParsedImport,
    ReadOptions,
    WorkbookRefused,
    WorkbookUnreadable,
    read_import,
)
from opex_app.domain.ingest.amounts import AMOUNT
from opex_app.domain.ingest.headers import check_mapping, parse_mapping
from opex_app.domain.ingest.months import fold
from opex_app.domain.ingest.specs import BUDGET
from tests.domain.workbooks import BUDGET_HEADERS, MONTHS_FY27, Rows, csv_bytes, write_workbook

FY27 = FiscalYear(2027)


def _read(tmp_path: Path, rows: Rows, options: ReadOptions = ReadOptions(), **kwargs: object) -> ParsedImport:
    path = write_workbook(tmp_path / "budget.xlsx", rows, **kwargs)  # type: ignore[arg-type]
    return read_import(path, BUDGET, options)


def _refusal(tmp_path: Path, rows: Rows, options: ReadOptions = ReadOptions(), **kwargs: object) -> WorkbookRefused:
    with pytest.raises(WorkbookRefused) as refused:
        _read(tmp_path, rows, options, **kwargs)
    assert "\n" not in str(refused.value)
    return refused.value


def _csv(data: bytes, options: ReadOptions = ReadOptions(file_name="erp export.csv")) -> ParsedImport:
    return read_import(data, BUDGET, options)


def _messages(items: list[CellError]) -> list[str]:
    return [item.message for item in items]


# ------------------------------------------------------------------------------------------ long layout

LONG_HEADER: list[object] = ["UID", "Description", "Month", "Amount"]


def test_long_layout_months_as_date_cells_of_any_day(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        LONG_HEADER,
        ["A", "Rent", date(2026, 4, 15), 100],
        ["A", "Rent", date(2026, 4, 1), 50],  # the same month of the same UID: summed
        ["A", None, datetime(2026, 5, 31, 10, 30), 7],  # a blank Description is no disagreement
        ["B", "Power", date(2027, 3, 3), 9],
        ["B", "Light", date(2026, 6, 1), 1],  # differs from 'Power': an error on that cell
        ["Grand Total", None, None, 167],
    ]
    parsed = _read(tmp_path, rows)
    assert parsed.layout == "long"
    assert parsed.fiscal_year == FY27
    assert parsed.column_map == {"uid": "UID", "description": "Description", "month": "Month", "amount": "Amount"}
    assert parsed.month_columns == dict.fromkeys((1, 2, 3, 12), "Month")
    assert parsed.present == ("uid", "description", "m01", "m02", "m03", "m12")
    expected = pl.DataFrame(
        {
            "row": [2, 5],
            "uid": ["A", "B"],
            "description": ["Rent", "Power"],
            "m01": [Decimal(150), Decimal(0)],
            "m02": [Decimal(7), Decimal(0)],
            "m03": [Decimal(0), Decimal(1)],
            "m12": [Decimal(0), Decimal(9)],
            "sheet_rows": [3, 2],
            "valid": [True, False],
        },
        schema_overrides={"sheet_rows": pl.UInt32},
    )
    # dtypes: see test_long_layout_amounts_have_the_wide_layouts_dtype
    assert_frame_equal(parsed.rows, expected, check_column_order=False, check_dtypes=False)
    assert parsed.errors == [
        CellError(
            "Budget",
            "B6",
            6,
            "description",
            "Light",
            "Description 'Light' differs from 'Power' on an earlier row of UID 'B': a line's rows must agree",
        )
    ]
    # rows_total counts sheet rows (the totals row is skipped apart); a line accepts its sheet rows
    assert parsed.rows_total == 5 and parsed.rows_skipped == 1
    assert parsed.accepted() == 3


def test_long_layout_amounts_have_the_wide_layouts_dtype(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [LONG_HEADER, ["A", "Rent", "Apr-26", 1], ["B", "Rent", "May-26", 2]])
    assert parsed.rows.schema["m01"] == AMOUNT and parsed.rows.schema["m02"] == AMOUNT


def test_long_layout_months_as_labels(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Line ID", "Month", "Amount"],
        ["A", "Apr-26", 100],
        ["A", "April 2026", "1,000.50"],  # the same month written another way: summed
        ["A", "2026-05", 5],
        ["B", "Mar-27", 9],
    ]
    parsed = _read(tmp_path, rows)
    assert (parsed.layout, parsed.fiscal_year) == ("long", FY27)
    assert parsed.rows.select("uid", "m01", "m02", "m12").rows() == [
        ("A", Decimal("1100.50"), Decimal(5), Decimal(0)),
        ("B", Decimal(0), Decimal(0), Decimal(9)),
    ]
    assert parsed.rows["sheet_rows"].to_list() == [3, 1]
    assert parsed.errors == []


def test_long_layout_period_numbers_need_the_fiscal_year(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Period", "Value"], ["A", 1, 100], ["A", 12, 50], ["B", 13, 1]]
    refused = _refusal(tmp_path, rows)
    assert "fiscal period numbers" in str(refused) and "--fy" in str(refused)

    parsed = _read(tmp_path, rows, ReadOptions(fiscal_year=FY27))
    assert parsed.fiscal_year == FY27
    assert parsed.rows.filter(pl.col("valid")).select("uid", "m01", "m12").rows() == [("A", Decimal(100), Decimal(50))]
    assert [(e.ref, e.message) for e in parsed.errors] == [
        ("Budget!B4", "expected a month (a date, a month such as Apr-26, or a fiscal period 1-12), found '13'")
    ]


def test_long_layout_months_without_a_year_need_the_fiscal_year(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, [LONG_HEADER, ["A", "x", "Apr", 1]])
    assert "months without a year" in str(refused) and "--fy" in str(refused)


def test_long_layout_dates_of_two_fiscal_years_are_refused_without_a_chosen_one(tmp_path: Path) -> None:
    rows: list[list[object]] = [LONG_HEADER, ["A", "x", date(2026, 3, 31), 1], ["A", "x", date(2026, 4, 1), 2]]
    refused = _refusal(tmp_path, rows)
    message = str(refused)
    assert "spans more than one fiscal year" in message
    assert "(row 2) is in FY26" in message and "(row 3) is in FY27" in message
    assert "pass --fy" in message


def test_long_layout_rows_outside_the_chosen_fiscal_year_are_errors(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        LONG_HEADER,
        ["A", "x", date(2026, 3, 31), 1],
        ["A", "x", date(2026, 4, 1), 2],
        ["B", "y", date(2027, 4, 1), 3],
    ]
    parsed = _read(tmp_path, rows, ReadOptions(fiscal_year=FY27))
    assert parsed.fiscal_year == FY27
    assert [(e.ref, e.message) for e in parsed.errors] == [
        ("Budget!C2", "'2026-03-31' is in FY26, outside FY27, the fiscal year of this import"),
        ("Budget!C4", "'2027-04-01' is in FY28, outside FY27, the fiscal year of this import"),
    ]
    assert parsed.rows.filter(pl.col("valid")).select("uid", "m01", "sheet_rows").rows() == [("A", Decimal(2), 1)]
    assert parsed.rows_total == 3 and parsed.accepted() == 1


def test_long_layout_errors_show_a_date_cell_as_a_date(tmp_path: Path) -> None:
    rows: list[list[object]] = [LONG_HEADER, ["A", "x", "Apr-26", 1], ["B", "y", date(2027, 4, 1), 3]]
    parsed = _read(tmp_path, rows, ReadOptions(fiscal_year=FY27))
    assert [(e.ref, e.value) for e in parsed.errors] == [("Budget!C3", "2027-04-01")]
    assert parsed.errors[0].message == "'2027-04-01' is in FY28, outside FY27, the fiscal year of this import"


# ---------------------------------------------------------------------------------------------- mapping


def test_a_mapping_makes_a_file_readable(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Cost ID", "Description", "Apr-26"], ["C-1", "Hosting", 10]]
    refused = _refusal(tmp_path, rows)
    assert "If 'Cost ID' is the UID, map it to UID (--map \"Cost ID=uid\")." in str(refused)

    mapping = parse_mapping(BUDGET, ["Cost ID=uid"])
    assert mapping == {"Cost ID": "uid"}
    parsed = _read(tmp_path, rows, ReadOptions(mapping=mapping))
    assert parsed.column_map == {"uid": "Cost ID", "description": "Description"}
    assert parsed.rows.select("uid", "m01").rows() == [("C-1", Decimal(10))]
    assert parsed.errors == []


def test_a_mapping_matches_headers_as_aliases_do(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [[" COST-ID ", "Apr-26"], ["C-1", 10]], ReadOptions(mapping={"cost id": "uid"}))
    assert parsed.column_map == {"uid": "COST-ID"}


def test_a_mapping_may_name_the_field_by_its_label(tmp_path: Path) -> None:
    mapping = parse_mapping(BUDGET, ["Category=Budget Head", "Supplier = vendor"])
    assert mapping == {"Category": "budget_head", "Supplier": "vendor"}
    assert check_mapping(BUDGET, {"Category": "Budget Head"}) == {"Category": "budget_head"}
    parsed = _read(
        tmp_path, [["UID", "Category", "Supplier", "Apr-26"], ["A", "Cloud", "Acme", 1]], ReadOptions(mapping=mapping)
    )
    assert parsed.column_map == {"uid": "UID", "budget_head": "Category", "vendor": "Supplier"}
    assert parsed.rows.select("budget_head", "vendor").row(0) == ("Cloud", "Acme")


def test_a_mapped_header_not_in_the_file_is_a_warning(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], ReadOptions(mapping={"Supplier": "vendor"}))
    unused = [w for w in parsed.warnings if w.column == "Supplier"]
    assert _messages(unused) == [
        "the mapped column 'Supplier' is not in the header row (sheet 'Budget' row 1): that mapping was not used"
    ]
    assert "vendor" not in parsed.present


def test_a_mapping_to_an_unknown_field_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"'colour' \(mapped from 'Shade'\) is not a budget field; fields are: uid, "):
        parse_mapping(BUDGET, ["Shade=colour"])
    with pytest.raises(ValueError, match="--map takes HEADER=FIELD, got 'Cost ID'"):
        parse_mapping(BUDGET, ["Cost ID"])
    with pytest.raises(ValueError, match="is not a budget field"):
        check_mapping(BUDGET, {"Shade": "colour"})


def test_a_column_a_mapping_overrides_is_said_to_be_a_second_one(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Supplier", "Vendor", "Apr-26"], ["A", "S", "V", 1]]
    parsed = _read(tmp_path, rows, ReadOptions(mapping={"Supplier": "vendor"}))
    assert parsed.rows["vendor"].to_list() == ["S"]
    vendor = [w for w in parsed.warnings if w.column == "Vendor"]
    assert _messages(vendor) == ["column 'Vendor' is a second Vendor column (the mapped one is read): ignored"]


# ----------------------------------------------------------------------------------------------- sheets

TWO_TABLES = {"Two": [["UID", "May-26"], ["B", 2]], "Notes": [["read me"]], "Blank": []}


def test_sheet_option_picks_a_sheet(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], ReadOptions(sheet=" two "), sheet="One", after=TWO_TABLES)
    assert parsed.sheet == "Two"
    assert parsed.rows.select("uid", "m02").rows() == [("B", Decimal(2))]
    assert parsed.ignored_sheets == []


def test_an_unknown_sheet_is_refused_listing_the_sheets(tmp_path: Path) -> None:
    refused = _refusal(
        tmp_path, [["UID", "Apr-26"], ["A", 1]], ReadOptions(sheet="Three"), sheet="One", after=TWO_TABLES
    )
    assert str(refused) == "budget.xlsx has no sheet 'Three' (its sheets: 'One', 'Two', 'Notes', 'Blank')"


def test_other_sheets_are_said_and_listed(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], sheet="One", after=TWO_TABLES)
    assert parsed.sheet == "One"
    assert parsed.ignored_sheets == ["Two", "Notes", "Blank"]
    by_sheet = {w.sheet: w.message for w in parsed.warnings if w.sheet != "One"}
    assert by_sheet == {
        "Two": "sheet 'Two' also holds a table (header in row 1); pick it with --sheet: it was not imported "
        "(only sheet 'One' is)",
        "Notes": "sheet 'Notes' has no table: it was not imported (only sheet 'One' is)",
        "Blank": "sheet 'Blank' is empty: it was not imported (only sheet 'One' is)",
    }


# ------------------------------------------------------------------------------------------------- CSV


def test_csv_utf8_with_a_bom(tmp_path: Path) -> None:
    data = csv_bytes(
        [["UID", "Description", "Apr-26", "May-26"], ["A1", "Café", "1234.50", "99"]], encoding="utf-8-sig"
    )
    assert data.startswith(b"\xef\xbb\xbfUID")
    parsed = _csv(data)
    assert (parsed.file_kind, parsed.sheet, parsed.header_row) == ("csv", "erp export", 1)
    assert parsed.column_map == {"uid": "UID", "description": "Description"}
    assert parsed.rows.select("uid", "description", "m01", "m02").rows() == [
        ("A1", "Café", Decimal("1234.50"), Decimal(99))
    ]
    assert parsed.errors == []


def test_csv_cp1252_semicolons_and_a_title_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Budget FY27 – export €"],
        ["UID", "Description", "Apr-26", "May-26"],
        ["A1", "Café, rent", "1234.50", "-5"],
        ["A2", "Crème", "1,234.50", "(7)"],
    ]
    parsed = _csv(csv_bytes(rows, delimiter=";", encoding="cp1252"))
    assert parsed.header_row == 2
    assert parsed.rows.select("row", "uid", "description", "m01", "m02").rows() == [
        (3, "A1", "Café, rent", Decimal("1234.50"), Decimal(-5)),
        (4, "A2", "Crème", Decimal("1234.50"), Decimal(-7)),
    ]
    assert parsed.errors == []


def test_csv_tabs(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Description", "Apr-26"], ["A1", "Rent, HQ; east", "1,00,000"]]
    parsed = _csv(csv_bytes(rows, delimiter="\t", line_end="\n"), ReadOptions(file_name="export.txt"))
    assert parsed.rows.select("uid", "description", "m01").rows() == [("A1", "Rent, HQ; east", Decimal(100000))]
    assert parsed.errors == []


def test_csv_errors_name_the_cells_as_a_spreadsheet_would(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Apr-26"], ["A1", "abc"], [None, "1"]]
    parsed = _csv(csv_bytes(rows))
    assert [(e.ref, e.value) for e in parsed.errors] == [("erp export!B2", "abc"), ("erp export!A3", "")]


# ------------------------------------------------------------------------------------------- languages

CALENDAR_MONTHS = {  # January .. December
    "French": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "French short": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
    "German": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
    "German short": "Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez".split(),
    "Spanish": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
    "Spanish short": "ene feb mar abr may jun jul ago sep oct nov dic".split(),
    "Portuguese": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro".split(),
    "Portuguese short": "jan fev mar abr mai jun jul ago set out nov dez".split(),
    "Italian": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
    "Italian short": "gen feb mar apr mag giu lug ago set ott nov dic".split(),
    "Dutch": "Januari Februari Maart April Mei Juni Juli Augustus September Oktober November December".split(),
    "Dutch short": "jan feb mrt apr mei jun jul aug sep okt nov dec".split(),
}
WITHOUT_ACCENTS = {
    f"{language} without accents": [fold(name) for name in names]
    for language, names in CALENDAR_MONTHS.items()
    if any(fold(name) != name.casefold() for name in names)
}


MONTH_NAMES = {**CALENDAR_MONTHS, **WITHOUT_ACCENTS}


@pytest.mark.parametrize("language", MONTH_NAMES)
def test_month_headers_in_other_languages(tmp_path: Path, language: str) -> None:
    names = MONTH_NAMES[language]
    # January..December in calendar order; amount = calendar month number
    parsed = _read(tmp_path, [["UID", *names], ["A", *range(1, 13)]], ReadOptions(fiscal_year=FY27))
    fiscal = {calendar: (calendar - 4) % 12 + 1 for calendar in range(1, 13)}
    assert parsed.month_columns == {fiscal[calendar]: names[calendar - 1] for calendar in range(1, 13)}
    assert parsed.rows.select(MONTH_FIELDS).row(0) == tuple(Decimal((m + 2) % 12 + 1) for m in range(1, 13))
    assert parsed.warnings == []


def test_there_are_accented_months_to_fold() -> None:
    assert {"French without accents", "German without accents", "Portuguese without accents"} <= set(WITHOUT_ACCENTS)


@pytest.mark.parametrize(
    ("header", "month", "year"),
    [("févr. 2026", 2, 2026), ("août-26", 8, 2026), ("Dez 2026", 12, 2026), ("Maerz-27", 3, 2027), ("Set-26", 9, 2026)],
)
def test_month_headers_in_other_languages_with_a_year(tmp_path: Path, header: str, month: int, year: int) -> None:
    parsed = _read(tmp_path, [["UID", header], ["A", 1]])
    fy_end = year + 1 if month >= 4 else year
    assert parsed.fiscal_year == FiscalYear(fy_end)
    assert parsed.month_columns == {(month - 4) % 12 + 1: header}


# ------------------------------------------------------------------------------------- total headers


@pytest.mark.parametrize(
    "header", ["Total 2019", "FY 2026-27", "Annual Budget", "Annual Total", "Grand Total", "FY27 Budget", "FY Total"]
)
def test_total_headers(tmp_path: Path, header: str) -> None:
    parsed = _read(tmp_path, [["UID", "Apr-26", header], ["A", 5, 5]])
    assert parsed.column_map["total"] == header
    assert parsed.rows["total"].to_list() == [Decimal(5)]
    assert parsed.ignored_columns == []


# ---------------------------------------------------------------------------------- rows that are not lines

NOT_LINES: list[list[object]] = [
    ["UID", "Tower", "Description", "Apr-26"],
    ["A", "Infra", "Hosting", 10],
    ["Grand Total", None, None, 15],  # a total in the key column
    [None, None, "Total Income", 10],  # a total label in the first text cell
    ["TOTAL-01", None, "Telecom", 1],  # a UID, not the word Total
    ["Income:"],  # a section heading: one label ending in a colon
    ["K", None, "no amounts yet", None],
]


def test_rows_that_are_not_lines_are_skipped_and_said(tmp_path: Path) -> None:
    parsed = _read(tmp_path, NOT_LINES)
    assert parsed.rows.select("row", "uid").rows() == [(2, "A"), (5, "TOTAL-01"), (7, "K")]
    assert parsed.rows["valid"].to_list() == [True, True, True]
    assert parsed.errors == []
    assert parsed.rows_total == 3 and parsed.rows_skipped == 3 and parsed.accepted() == 3
    skipped = [(w.row, w.value, w.message) for w in parsed.warnings if "skipped" in w.message]
    assert skipped == [
        (3, "Grand Total", "row 3 ('Grand Total') was skipped as a totals row, not read as a budget line"),
        (4, "Total Income", "row 4 ('Total Income') was skipped as a totals row, not read as a budget line"),
        (6, "Income:", "row 6 ('Income:') was skipped as a section heading, not read as a budget line"),
    ]
    empty = [w for w in parsed.warnings if w.column == "uid"]
    assert [(w.ref, w.value, w.message) for w in empty] == [
        (
            "Budget!A7",
            "K",
            "UID 'K' has no amounts (every month is empty or zero): imported as a budget line with zero budget",
        )
    ]


def test_a_skipped_row_is_said_at_the_cell_of_its_label(tmp_path: Path) -> None:
    parsed = _read(tmp_path, NOT_LINES, start_col=2)  # UID in C, Tower in D, Description in E
    skipped = [w.ref for w in parsed.warnings if "skipped" in w.message]
    assert skipped == ["Budget!C3", "Budget!E4", "Budget!C6"]


# -------------------------------------------------------------------------------------------- warnings


def test_warnings_say_every_ignored_column_and_missing_months(tmp_path: Path) -> None:
    header = ["UID", "Apr-26", "May-26", "Q1", "Jun-26", "July Forecast", "Owner", "Month", "Amount"]
    parsed = _read(tmp_path, [header, ["A", 1, 2, 3, 4, 5, "me", "Jul-26", 5]])
    assert parsed.layout == "wide"
    assert parsed.ignored_columns == ["Q1", "July Forecast", "Owner", "Month", "Amount"]
    by_column = {w.column: (w.ref, w.message) for w in parsed.warnings if w.column}
    assert by_column == {
        "Q1": ("Budget!D1", "column 'Q1' stands between the month columns: ignored"),
        "July Forecast": (
            "Budget!F1",
            "column 'July Forecast' looks like a month but is not one this import can read: ignored",
        ),
        "Owner": (
            "Budget!G1",
            "column 'Owner' is not a budget field (map it with --map \"Owner=FIELD\" if it is one): ignored",
        ),
        "Month": (
            "Budget!H1",
            "column 'Month' is the Month column of the long layout, not read beside month columns: ignored",
        ),
        "Amount": (
            "Budget!I1",
            "column 'Amount' is the Amount column of the long layout, not read beside month columns: ignored",
        ),
    }
    months = [w.message for w in parsed.warnings if not w.column]
    assert months == [
        "only 3 of 12 months found (Apr-26, May-26, Jun-26): Jul-26, Aug-26, Sep-26, Oct-26, Nov-26, Dec-26, "
        "Jan-27, Feb-27, Mar-27 are left as stored (zero for new lines)"
    ]


def test_twelve_months_and_no_ignored_column_give_no_warning(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [BUDGET_HEADERS, ["A", *([None] * 10), *range(1, 13), 78, None]])
    assert parsed.warnings == []


def test_every_warning_says_where_and_what(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Title"],
        ["UID", "Apr-26", "Owner", "May-26", "Aug Forecast"],
        ["A", 1, "x", 2, 3],
        ["Total", 1, None, 2, 3],
        ["B", None, None, None, None],
    ]
    parsed = _read(tmp_path, rows, ReadOptions(mapping={"Supplier": "vendor"}), after={"Other": [["x"]]})
    assert len(parsed.warnings) == 7
    for warning in parsed.warnings:
        assert warning.sheet in ("Budget", "Other") and warning.message
        assert "\n" not in warning.message
        assert warning.ref.startswith(warning.sheet)


# ---------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("key", ["SalespersonID", "cost_id", "Cost ID", "WBS", "Item Name"])
def test_no_table_names_the_closest_row_and_suggests_a_mapping_for_a_likely_key(tmp_path: Path, key: str) -> None:
    refused = _refusal(tmp_path, [["Sales report"], [key, "Description", "Apr-26"], ["S-1", "x", 1]])
    message = str(refused)
    assert message.startswith("budget.xlsx has no budget line table: no sheet has, in its first 20 rows, a header row")
    assert f"Closest: sheet 'Budget' row 2 with '{key}', 'Description', 'Apr-26'" in message
    assert "(found Description, 1 month column(s); missing UID)" in message
    assert f"If '{key}' is the UID, map it to UID (--map \"{key}=uid\")." in message
    assert refused.closest == Closest("Budget", 2, [key, "Description", "Apr-26"])


def test_budget_code_needs_no_mapping(tmp_path: Path) -> None:
    """'BudgetCode' reads as the alias 'Budget Code' (headers match without spaces), so it is the UID."""
    parsed = _read(tmp_path, [["BudgetCode", "Apr-26"], ["B-1", 1]])
    assert parsed.column_map == {"uid": "BudgetCode"}


def test_no_likely_key_asks_for_the_column_that_holds_it(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, [["Description", "Apr-26"], ["x", 1]])
    assert str(refused).endswith('Map the column that holds the UID with --map "HEADER=uid".')


MONTHS_AS_ROWS = "The months run down the rows"


def test_months_down_the_rows_are_refused_saying_so(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Month", "400100 Salaries", "400200 Rent", "400300 Travel"]]
    rows += [[label, 1, 2, 3] for label in MONTHS_FY27]
    message = str(_refusal(tmp_path, rows))
    assert f"{MONTHS_AS_ROWS} (column 'Month')" in message
    assert '--map "HEADER=month"' in message and '--map "HEADER=amount"' in message


def test_month_names_down_a_column_are_refused_saying_so(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Fiscal Month", "400100 Salaries", "400200 Rent"]]
    rows += [[label, 1, 2] for label in ("April", "May", "June", "July")]
    assert MONTHS_AS_ROWS in str(_refusal(tmp_path, rows))


def test_month_names_down_a_column_point_at_the_header_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Fiscal Month", "400100 Salaries", "400200 Rent"]]
    rows += [[label, 1, 2] for label in ("April", "May", "June", "July")]
    refused = _refusal(tmp_path, rows)
    assert f"{MONTHS_AS_ROWS} (column 'Fiscal Month')" in str(refused)
    assert refused.closest.row == 1


def test_sap_periods_down_the_rows_are_refused_saying_so(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Period", "Cost Element 400100", "Cost Element 400200"]]
    rows += [[period, 1, 2] for period in range(1, 13)]
    assert f"{MONTHS_AS_ROWS} (column 'Period')" in str(_refusal(tmp_path, rows))


def test_dates_down_the_rows_are_refused_saying_so(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Posting Date", "Salaries", "Rent"]]
    rows += [[date(2026, month, 1), 1, 2] for month in range(4, 13)]
    assert f"{MONTHS_AS_ROWS} (column 'Posting Date')" in str(_refusal(tmp_path, rows))


def test_annual_amounts_only_are_refused_saying_so(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, [["UID", "Description", "Annual Budget"], ["A", "x", 1200]])
    message = str(refused)
    assert "(found UID, Description, FY Total; missing month columns)" in message
    assert "It has annual amounts only ('Annual Budget'): a budget line needs its months" in message


def test_a_pivot_is_refused_saying_so(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Row Labels", "Sum of Amount"], ["Infra", 5], ["Apps", 7]]
    message = str(_refusal(tmp_path, rows))
    assert "It looks like a pivot table: import the data the pivot is built from instead." in message


def test_a_pivot_with_its_grand_total_row_is_refused_saying_so(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Row Labels", "Sum of Amount"], ["Infra", 5], ["Apps", 7], ["Grand Total", 12]]
    message = str(_refusal(tmp_path, rows))
    assert "It looks like a pivot table" in message
    assert "annual amounts only" not in message


def test_a_workbook_without_cell_data_is_refused_saying_so(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, [], after={"Sheet2": []})
    assert str(refused).endswith(". The file holds no cell data on any sheet")
    assert refused.closest == Closest()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", r"^erp export.csv is empty \(0 bytes\)$"),
        (b"\xef\xbb\xbf", "erp export.csv is empty"),
        (bytes(range(256)) * 4, r"^erp export.csv is not a spreadsheet \("),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), r"^erp export.csv is not a spreadsheet \("),
    ],
)
def test_an_empty_csv_or_binary_junk_is_unreadable(data: bytes, match: str) -> None:
    with pytest.raises(WorkbookUnreadable, match=match):
        _csv(data)


def test_a_csv_of_blank_lines_is_unreadable() -> None:
    with pytest.raises(WorkbookUnreadable, match="empty"):
        _csv(b"\r\n\r\n\r\n")
