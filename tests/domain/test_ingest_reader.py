"""The import engine reading budget workbooks: fields, months, amounts, dates, rows, hostile files.

(The rules added with the engine: long layout, mapping, sheets, CSV, languages, refusals, are in
test_ingest_rules.py.)"""

import zipfile
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
    ReadLimits,
    ReadOptions,
    WorkbookRefused,
    WorkbookUnreadable,
    read_import,
)
from opex_app.domain.ingest.amounts import AMOUNT
from opex_app.domain.ingest.specs import BUDGET
from tests.domain.workbooks import BUDGET_HEADERS, MONTHS_FY27, Formula, Rows, write_workbook

FY27 = FiscalYear(2027)
ZERO = Decimal("0.00")
OPTIONS = (
    "fiscal_year",
    "day_first",
    "limits",
    "fy_start_month",
    "mapping",
    "file_name",
)  # `sheet` names the sheet written


def _read(tmp_path: Path, rows: Rows, **kwargs: object) -> ParsedImport:
    options = ReadOptions(**{key: kwargs.pop(key) for key in OPTIONS if key in kwargs})  # type: ignore[arg-type]
    path = write_workbook(tmp_path / "budget.xlsx", rows, **kwargs)  # type: ignore[arg-type]
    return read_import(path, BUDGET, options)


def _errors(parsed: ParsedImport) -> list[tuple[str, str]]:
    return [(error.ref, error.message) for error in parsed.errors]


# ------------------------------------------------------------------------------------------ happy path


def test_reads_every_field_of_the_export_header(tmp_path: Path) -> None:
    first = ["IT-1", "P-1", " Cloud hosting ", "Infra", "Cloud", "CC100", "Acme", "Acme India", "inr"]
    second = ["IT-2", None, "Licences", "Apps", "Software", 4100, "Beta", "Acme UK", "USD"]
    rows: Rows = [
        BUDGET_HEADERS,
        [*first, date(2026, 4, 1), date(2027, 3, 31), 100, 200.5, *([0] * 10), 300.5, "renewal"],
        # the total disagrees with the months (123.00): the reader reads it as it is; the import service
        # checks totals against the months it stores (tests/services/test_budget_import.py)
        [*second, None, None, *([10.25] * 12), 124.5, None],
    ]
    parsed = _read(tmp_path, rows)
    assert parsed.sheet == "Budget"
    assert parsed.header_row == 1
    assert parsed.layout == "wide"
    assert parsed.fiscal_year == FY27
    assert parsed.column_map["uid"] == "UID" and parsed.column_map["total"] == "FY Total"
    assert set(parsed.column_map) == set(BUDGET.names) - {"month", "amount"}
    assert parsed.month_columns == {m: MONTHS_FY27[m - 1] for m in range(1, 13)}
    assert set(parsed.present) == set(parsed.column_map) | set(MONTH_FIELDS)
    assert parsed.headers == BUDGET_HEADERS
    assert parsed.ignored_columns == [] and parsed.ignored_sheets == []
    expected = pl.DataFrame(
        {
            "row": [2, 3],
            "uid": ["IT-1", "IT-2"],
            "parent_uid": ["P-1", None],
            "description": ["Cloud hosting", "Licences"],
            "tower": ["Infra", "Apps"],
            "budget_head": ["Cloud", "Software"],
            "cost_centre": ["CC100", "4100"],
            "vendor": ["Acme", "Beta"],
            "entity": ["Acme India", "Acme UK"],
            "currency": ["INR", "USD"],
            "service_start": [date(2026, 4, 1), None],
            "service_end": [date(2027, 3, 31), None],
            "total": [Decimal("300.5"), Decimal("124.5")],
            "remarks": ["renewal", None],
            **{f"m{m:02d}": [Decimal(v) for v in ({1: "100", 2: "200.5"}.get(m, "0"), "10.25")] for m in range(1, 13)},
            "valid": [True, True],
            "sheet_rows": [1, 1],
        },
        schema_overrides={
            "service_start": pl.Date,
            "service_end": pl.Date,
            "total": AMOUNT,
            **dict.fromkeys(MONTH_FIELDS, AMOUNT),
            "sheet_rows": pl.UInt32,
        },
    )
    assert_frame_equal(parsed.rows, expected, check_column_order=False)
    assert parsed.errors == [] and parsed.warnings == []
    assert parsed.rows_total == 2 and parsed.rows_skipped == 0 and parsed.accepted() == 2


def test_fields_and_months_absent_from_the_file_are_absent_from_rows(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Apr-26", "Jun-26"], ["A", 5, 7]])
    assert parsed.present == ("uid", "m01", "m03")
    assert set(parsed.rows.columns) == {"row", "uid", "m01", "m03", "valid", "sheet_rows"}
    assert parsed.rows.select("m01", "m03").row(0) == (Decimal(5), Decimal(7))
    assert parsed.rows.schema["m01"] == AMOUNT
    assert parsed.month_columns == {1: "Apr-26", 3: "Jun-26"}
    assert parsed.months_present == ["m01", "m03"]
    assert parsed.column_map == {"uid": "UID"}
    assert parsed.errors == [] and parsed.rows["valid"].to_list() == [True]


def test_alternative_aliases(tmp_path: Path) -> None:
    header = ["Line ID", "Parent", "Service", "Tower", "Head", "CC", "Vendor Name", "PO Entity", "Curr"]
    header += ["Start Date", "End Date", "Comments", "Apr-26", "Total Budget"]
    parsed = _read(tmp_path, [header, ["X", "P", "S", "T", "H", "C", "V", "E", "eur", None, None, "n", 5, 5]])
    assert set(parsed.column_map) == {
        "uid",
        "parent_uid",
        "description",
        "tower",
        "budget_head",
        "cost_centre",
        "vendor",
        "entity",
        "currency",
        "service_start",
        "service_end",
        "remarks",
        "total",
    }
    assert parsed.rows.select("uid", "parent_uid", "currency", "remarks", "total").row(0) == (
        "X",
        "P",
        "EUR",
        "n",
        Decimal(5),
    )
    assert parsed.errors == []


def test_whole_text_matching_and_ignored_columns(tmp_path: Path) -> None:
    header = ["Parent UID", "UID", "Total Count", "Notes on UID", "Apr-26", "Total"]
    parsed = _read(tmp_path, [header, ["P1", "U1", 3, "x", 10, 10]])
    assert parsed.column_map == {"parent_uid": "Parent UID", "uid": "UID", "total": "Total"}
    assert parsed.ignored_columns == ["Total Count", "Notes on UID"]
    assert [(w.ref, w.column) for w in parsed.warnings if w.column in parsed.ignored_columns] == [
        ("Budget!C1", "Total Count"),
        ("Budget!D1", "Notes on UID"),
    ]
    assert parsed.rows.select("uid", "parent_uid", "total").row(0) == ("U1", "P1", Decimal(10))
    assert parsed.errors == []


def test_text_cells_are_stripped_and_numeric_uids_read_as_text(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Vendor", "Currency", "Apr-26"], [42, "  Acme  ", " usd ", 1], [42.5, "", "", 1]])
    assert parsed.rows.select("uid", "vendor", "currency").rows() == [
        ("42", "Acme", "USD"),
        ("42.5", None, None),
    ]


# ----------------------------------------------------------------------------------- finding the table


def test_table_under_a_title_starting_at_c5(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["IT OPEX budget FY27"],
        ["prepared by finance"],
        [],
        [],
        ["UID", "Description", "Apr-26", "May-26", "Total"],
        ["A-1", "Hosting", 100, "abc", 100],
        ["A-2", "Support", "1,000", 50, 1050],
    ]
    # the title sits at C1; the header at C5
    parsed = _read(tmp_path, rows, start_col=2)
    assert parsed.header_row == 5
    assert parsed.rows["row"].to_list() == [6, 7]
    assert parsed.rows.select("m01", "m02").rows() == [(Decimal(100), None), (Decimal(1000), Decimal(50))]
    assert parsed.errors == [
        CellError("Budget", "F6", 6, "May-26", "abc", "expected an amount (e.g. 1,23,456.78), found 'abc'")
    ]
    assert parsed.errors[0].ref == "Budget!F6"


def test_header_found_below_empty_rows_with_leading_empty_columns(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Apr-26"], ["A", "x"]], start_row=4, start_col=2)
    assert parsed.header_row == 5
    assert _errors(parsed) == [("Budget!D6", "expected an amount (e.g. 1,23,456.78), found 'x'")]


def test_header_must_be_in_the_first_twenty_rows(tmp_path: Path) -> None:
    with pytest.raises(WorkbookRefused, match="in its first 20 rows"):
        _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], start_row=20)
    parsed = _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], start_row=19)
    assert parsed.header_row == 20


def test_first_sheet_without_a_header_is_skipped(tmp_path: Path) -> None:
    notes = [["Read me"], ["UID", "Description"], ["Apr", "only months here"]]
    parsed = _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], sheet="Budget FY27", before={"Notes": notes})
    assert parsed.sheet == "Budget FY27"
    assert parsed.rows["uid"].to_list() == ["A"]
    assert parsed.ignored_sheets == ["Notes"]


def test_no_header_is_refused_naming_the_columns_looked_for_and_the_closest_row(tmp_path: Path) -> None:
    with pytest.raises(WorkbookRefused) as refused:
        _read(tmp_path, [["Description", "Apr-26"], ["x", 1]], after={"Other": [["UID", "Total"]]})
    message = str(refused.value)
    for word in ("'UID'", "'Line ID'", "'Unique ID'", "'Budget UID'", "month"):
        assert word in message
    assert "Closest: sheet 'Budget' row 1 with 'Description', 'Apr-26'" in message
    assert "missing UID" in message
    assert "\n" not in message
    assert refused.value.closest == Closest("Budget", 1, ["Description", "Apr-26"])


def test_two_uid_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbookRefused, match=r"two UID columns: 'UID' \(A1\) and 'Line ID' \(C1\)"):
        _read(tmp_path, [["UID", "Apr-26", "Line ID"], ["A", 1, "B"]])


# --------------------------------------------------------------------------------------- month columns


def test_every_month_header_shape(tmp_path: Path) -> None:
    header = ["UID", "Apr-26", "May 2026", "June-2026", "07/2026", "Aug'26", "Sept-26", datetime(2026, 10, 1)]
    header += [datetime(2026, 11, 15, 10, 30), "2026-12", "Jan-27", "February 2027", "March-2027"]
    parsed = _read(tmp_path, [header, ["A", *range(1, 13)]])
    assert parsed.fiscal_year == FY27
    assert parsed.month_columns[7] == "2026-10-01"
    assert parsed.month_columns[8] == "2026-11-15"
    assert sorted(parsed.month_columns) == list(range(1, 13))
    assert [parsed.rows[f"m{m:02d}"][0] for m in range(1, 13)] == [Decimal(m) for m in range(1, 13)]


def test_date_cells_as_headers_under_a_title(tmp_path: Path) -> None:
    header = ["UID", *[datetime(2026, 4 + m, 1) for m in range(3)]]
    parsed = _read(tmp_path, [["Budget"], header, ["A", 1, 2, 3]], fiscal_year=FY27)
    assert parsed.header_row == 2
    assert parsed.month_columns == {1: "2026-04-01", 2: "2026-05-01", 3: "2026-06-01"}
    assert parsed.rows.select("m01", "m02", "m03").row(0) == (Decimal(1), Decimal(2), Decimal(3))


def test_yearless_months_take_the_chosen_fiscal_year(tmp_path: Path) -> None:
    header = ["UID", "Apr", "May", "Sept", "Jan", "March"]
    parsed = _read(tmp_path, [header, ["A", 1, 2, 3, 4, 5]], fiscal_year=FiscalYear(2028))
    assert parsed.fiscal_year == FiscalYear(2028)
    assert parsed.month_columns == {1: "Apr", 2: "May", 6: "Sept", 10: "Jan", 12: "March"}
    assert parsed.rows.select("m01", "m06", "m10", "m12").row(0) == tuple(Decimal(v) for v in (1, 3, 4, 5))


def test_fiscal_year_start_month_moves_the_months(tmp_path: Path) -> None:
    parsed = _read(tmp_path, [["UID", "Jan-27", "Dec-27"], ["A", 1, 2]], fy_start_month=1)
    assert parsed.fiscal_year == FiscalYear(2027, 1)
    assert parsed.month_columns == {1: "Jan-27", 12: "Dec-27"}


def test_yearless_months_without_a_fiscal_year_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbookRefused, match=r"carry no year.*--fy"):
        _read(tmp_path, [["UID", "Apr", "May"], ["A", 1, 2]])


def test_months_of_two_fiscal_years_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        WorkbookRefused, match=r"more than one fiscal year: 'Mar-26' is in FY26 and 'Apr-26' is in FY27"
    ):
        _read(tmp_path, [["UID", "Mar-26", "Apr-26"], ["A", 1, 2]])


def test_the_same_month_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbookRefused, match=r"the month Apr-26 twice: 'Apr-26' \(B1\) and 'April 2026' \(C1\)"):
        _read(tmp_path, [["UID", "Apr-26", "April 2026"], ["A", 1, 2]])
    with pytest.raises(WorkbookRefused, match="twice"):
        _read(tmp_path, [["UID", "Apr", "Apr"], ["A", 1, 2]], fiscal_year=FY27)


def test_a_fiscal_year_that_disagrees_with_the_headers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbookRefused, match=r"are in FY27 .* but FY28 was chosen"):
        _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], fiscal_year=FiscalYear(2028))
    assert _read(tmp_path, [["UID", "Apr-26"], ["A", 1]], fiscal_year=FY27).fiscal_year == FY27


# --------------------------------------------------------------------------------------------- amounts


AMOUNT_CELLS = [
    (1234.5, "1234.50"),
    (1.005, "1.01"),
    (-20, "-20.00"),
    ("1,234,567.89", "1234567.89"),
    ("12,34,567.89", "1234567.89"),
    ("₹ 1,23,456", "123456.00"),
    ("$1,234.50", "1234.50"),
    ("€5", "5.00"),
    ("£5", "5.00"),
    ("INR 1,000", "1000.00"),
    ("1,000 USD", "1000.00"),
    ("EUR 7", "7.00"),
    ("GBP 7", "7.00"),
    ("Rs. 99", "99.00"),
    ("Rs 99", "99.00"),
    ("(1,234.00)", "-1234.00"),
    ("-1,234", "-1234.00"),
    (" 42 ", "42.00"),
    ("-", "0.00"),
    ("–", "0.00"),
    ("—", "0.00"),
    ("", "0.00"),
    (None, "0.00"),
]


def test_every_amount_shape_in_cells(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Apr-26"]]
    rows += [[f"U{i}", cell] for i, (cell, _) in enumerate(AMOUNT_CELLS)]
    parsed = _read(tmp_path, rows)
    assert parsed.errors == []
    assert parsed.rows["m01"].to_list() == [Decimal(value) for _, value in AMOUNT_CELLS]


def test_bad_amounts_are_errors_on_their_cells(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["UID", "Description", "Apr-26", "May-26"],
        ["A", "x", "abc", 1],
        ["B", "x", 2, "1.2.3"],
        ["C", "x", Formula("=1/0", "#DIV/0!"), Formula("=A1+#REF!", "#REF!")],
        ["D", "x", "#REF!", "12345678901234567"],
        ["E", "x", 5, 5],
        ["F", "x", 1e17, 5],
    ]
    parsed = _read(tmp_path, rows)
    assert _errors(parsed) == [
        ("Budget!C2", "expected an amount (e.g. 1,23,456.78), found 'abc'"),
        ("Budget!D3", "expected an amount (e.g. 1,23,456.78), found '1.2.3'"),
        ("Budget!C4", "expected an amount (e.g. 1,23,456.78), found '#DIV/0!'"),
        ("Budget!D4", "expected an amount (e.g. 1,23,456.78), found '#REF!'"),
        ("Budget!C5", "expected an amount (e.g. 1,23,456.78), found '#REF!'"),
        (
            "Budget!D5",
            "amount '12345678901234567' is too large: at most 16 digits before the decimal point",
        ),
        ("Budget!C7", "amount '100000000000000000' is too large: at most 16 digits before the decimal point"),
    ]
    error = parsed.errors[0]
    assert (error.sheet, error.cell, error.row, error.column, error.value) == (
        "Budget",
        "C2",
        2,
        "Apr-26",
        "abc",
    )
    assert parsed.rows["valid"].to_list() == [False, False, False, False, True, False]
    assert parsed.rows.filter(pl.col("uid") == "A")["m01"].to_list() == [None]
    assert parsed.accepted() == 1


@pytest.mark.parametrize("inline_strings", [False, True])
def test_cells_a_numeric_column_would_hide_are_errors(tmp_path: Path, inline_strings: bool) -> None:
    """Excel errors, TRUE/FALSE and texts such as 'NA' in an otherwise numeric column."""
    rows: list[list[object]] = [
        ["UID", "Vendor", "Service Start", "Apr-26", "May-26"],
        ["A", "Acme", date(2026, 4, 1), 1, 2],
        ["B", Formula("=NA()", "#N/A"), date(2026, 4, 1), Formula("=1/0", "#DIV/0!"), True],
        ["C", "NA", Formula("=X", "#NAME?"), "NA", Formula('=""&"NA"', "NA")],
        ["D", "Beta", "N/A", None, 3],
    ]
    parsed = _read(tmp_path, rows, inline_strings=inline_strings)
    assert parsed.errors[0].ref == "Budget!B3" and parsed.errors[0].value == "#N/A"
    assert parsed.errors[0].message.startswith("the cell shows the Excel error #N/A; expected a value for ")
    assert _errors(parsed)[1:] == [
        ("Budget!D3", "expected an amount (e.g. 1,23,456.78), found '#DIV/0!'"),
        ("Budget!E3", "expected an amount (e.g. 1,23,456.78), found 'true'"),
        ("Budget!C4", "expected a date (e.g. 2026-04-01 or 01/04/2026), found '#NAME?'"),
        ("Budget!D4", "expected an amount (e.g. 1,23,456.78), found 'NA'"),
        ("Budget!E4", "expected an amount (e.g. 1,23,456.78), found 'NA'"),
        ("Budget!C5", "expected a date (e.g. 2026-04-01 or 01/04/2026), found 'N/A'"),
    ]
    assert parsed.rows["vendor"].to_list() == ["Acme", "#N/A", "NA", "Beta"]
    assert parsed.rows.select("m01", "m02").rows()[::3] == [(Decimal(1), Decimal(2)), (ZERO, Decimal(3))]
    assert parsed.rows["valid"].to_list() == [True, False, False, False]


def test_an_excel_error_in_a_text_column_names_the_column_as_the_sheet_does(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Vendor", "Apr-26"], ["B", Formula("=NA()", "#N/A"), 1]]
    parsed = _read(tmp_path, rows)
    assert _errors(parsed) == [("Budget!B2", "the cell shows the Excel error #N/A; expected a value for Vendor")]


def test_totals_are_read_as_they_are_and_checked_by_the_service(tmp_path: Path) -> None:
    """The reader parses the total column; whether it matches the months (within 1.00) is checked by the
    import service against the months it stores, so a mismatch is no reader error. The former reader
    assertions were: D4 'total 301.01 does not match the sum of the months 300.00 (allowed difference
    1.00)' and D5 'total 1,01,234.50 does not match the sum of the months 1,00,000.00 (...)'."""
    rows: list[list[object]] = [
        ["UID", "Apr-26", "May-26", "Total"],
        ["A", 100, 200, 300],
        ["B", 100, 200, 301],
        ["C", 100, 200, 301.01],
        ["D", "1,00,000", 0, "1,01,234.50"],
        ["E", "x", 0, 5],
    ]
    parsed = _read(tmp_path, rows)
    assert _errors(parsed) == [("Budget!B6", "expected an amount (e.g. 1,23,456.78), found 'x'")]
    assert parsed.rows["total"].to_list() == [Decimal(v) for v in ("300", "301", "301.01", "101234.50", "5")]
    assert parsed.rows["valid"].to_list() == [True, True, True, True, False]


# ----------------------------------------------------------------------------------------------- dates


def test_date_shapes(tmp_path: Path) -> None:
    header: list[object] = ["UID", "Service Start", "Service End", "Apr-26"]
    rows: list[list[object]] = [
        header,
        ["A", date(2026, 4, 1), datetime(2027, 3, 31, 18, 0), 1],
        ["B", "2026-04-01", "31/03/2027", 1],
        ["C", "01-04-2026", "31-Mar-2027", 1],
        ["D", "1-Apr-2026", "31 Mar 2027", 1],
        ["E", "01 Apr 2026", None, 1],
    ]
    parsed = _read(tmp_path, rows)
    assert parsed.errors == []
    assert parsed.rows["service_start"].to_list() == [date(2026, 4, 1)] * 5
    assert parsed.rows["service_end"].to_list() == [date(2027, 3, 31)] * 4 + [None]


def test_month_first_dates(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["UID", "Start Date", "Apr-26"],
        ["A", "04/01/2026", 1],
        ["B", "13/01/2026", 1],
    ]
    parsed = _read(tmp_path, rows, day_first=False)
    assert parsed.rows["service_start"].to_list() == [date(2026, 4, 1), None]
    assert _errors(parsed) == [("Budget!B3", "expected a date (e.g. 2026-04-01 or 04/01/2026), found '13/01/2026'")]


def test_bad_dates_and_an_end_before_the_start(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["UID", "Service Start", "Service End", "Apr-26"],
        ["A", "someday", date(2027, 3, 31), 1],
        ["B", date(2026, 4, 1), date(2026, 3, 31), 1],
        ["C", "31/04/2026", "2026-03-31", 1],
    ]
    parsed = _read(tmp_path, rows)
    assert _errors(parsed) == [
        ("Budget!B2", "expected a date (e.g. 2026-04-01 or 01/04/2026), found 'someday'"),
        ("Budget!C3", "service end 2026-03-31 is before service start 2026-04-01"),
        ("Budget!B4", "expected a date (e.g. 2026-04-01 or 01/04/2026), found '31/04/2026'"),
    ]
    assert [error.value for error in parsed.errors] == ["someday", "2026-03-31", "31/04/2026"]


# ------------------------------------------------------------------------------------------------ rows


def test_blank_and_totals_rows_are_skipped(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["UID", "Tower", "Description", "Apr-26"],
        ["A", "Infra", "Hosting", 10],
        [],
        [None, "", "  ", None],
        [None, None, "Total", 10],
        [None, None, "Grand Total", 10],
        [None, None, "Sub-total", 10],
        [None, None, "Subtotal", 10],
        [None, "Total Infrastructure", None, 10],
        [None, None, "Totals", 10],
        ["B", "Apps", "Total licences", 5],
    ]
    parsed = _read(tmp_path, rows)
    assert parsed.rows["row"].to_list() == [2, 11]
    assert parsed.rows["uid"].to_list() == ["A", "B"]
    assert parsed.errors == []
    # blank rows are skipped silently; totals rows are counted apart and each said in a warning
    assert parsed.rows_total == 2 and parsed.rows_skipped == 6
    skipped = [(w.row, w.value) for w in parsed.warnings if "skipped as a totals row" in w.message]
    assert skipped == [
        (5, "Total"),
        (6, "Grand Total"),
        (7, "Sub-total"),
        (8, "Subtotal"),
        (9, "Total Infrastructure"),
        (10, "Totals"),
    ]


def test_a_total_label_needs_the_whole_word_then_a_space_or_the_end(tmp_path: Path) -> None:
    """'TOTAL:' and 'Sub Total' were totals rows for the former reader; the engine's rule is the whole word
    Total/Totals/Subtotal/Sub-total/Grand Total followed by the end or a space, so they are lines
    without a UID (errors), not skipped."""
    rows: list[list[object]] = [
        ["UID", "Tower", "Description", "Apr-26"],
        [None, "TOTAL:", "", 10],
        [None, "Sub Total", None, 10],
        [None, None, "Totally new", 10],
    ]
    parsed = _read(tmp_path, rows)
    assert [e.ref for e in parsed.errors] == ["Budget!A2", "Budget!A3", "Budget!A4"]
    assert parsed.rows_skipped == 0 and parsed.rows_total == 3


def test_rows_without_a_uid_are_errors(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["UID", "Description", "Apr-26"],
        [None, "Hosting", 10],
        ["  ", None, 5],
        [None, "a note", None],
        ["A", "Support", 1],
    ]
    parsed = _read(tmp_path, rows)
    message = "UID is empty: every budget line needs a UID (rows labelled Total are skipped)"
    assert _errors(parsed) == [("Budget!A2", message), ("Budget!A3", message), ("Budget!A4", message)]
    assert [error.value for error in parsed.errors] == ["", "  ", ""]
    assert [error.column for error in parsed.errors] == ["uid"] * 3
    assert parsed.rows["valid"].to_list() == [False, False, False, True]


def test_a_uid_twice_is_an_error_on_both_rows(tmp_path: Path) -> None:
    rows: list[list[object]] = [["UID", "Apr-26"], ["A", 1], ["B", 1], ["A ", 1], [7, 1], ["7", 1], ["7", 1]]
    parsed = _read(tmp_path, rows)
    assert _errors(parsed) == [
        ("Budget!A2", "UID 'A' appears more than once: also on row 4"),
        ("Budget!A4", "UID 'A' appears more than once: also on row 2"),
        ("Budget!A5", "UID '7' appears more than once: also on rows 6, 7"),
        ("Budget!A6", "UID '7' appears more than once: also on rows 5, 7"),
        ("Budget!A7", "UID '7' appears more than once: also on rows 5, 6"),
    ]
    assert parsed.rows["valid"].to_list() == [False, True, False, False, False, False]


def test_errors_are_sorted_by_row_then_column(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["UID", "Apr-26", "May-26", "Service Start"],
        ["A", "x", "y", "z"],
        [None, "q", 1, None],
    ]
    parsed = _read(tmp_path, rows)
    assert [error.cell for error in parsed.errors] == ["B2", "C2", "D2", "A3", "B3"]


def test_a_sheet_fastexcel_cannot_type_is_read_as_text(tmp_path: Path) -> None:
    """A #NAME? error makes fastexcel refuse to infer the column's type: the sheet is read as text."""
    rows: list[list[object]] = [
        ["UID", "Apr-26", "May-26"],
        ["A", 1.005, Formula("=foo()", "#NAME?")],
        ["B", 2, 3],
    ]
    parsed = _read(tmp_path, rows)
    assert parsed.rows.select("m01", "m02").rows() == [(Decimal("1.01"), None), (Decimal(2), Decimal(3))]
    assert _errors(parsed) == [("Budget!C2", "expected an amount (e.g. 1,23,456.78), found '#NAME?'")]


def test_reads_bytes_as_well_as_paths(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "b.xlsx", [["UID", "Apr-26"], ["A", 1]])
    from_bytes = read_import(path.read_bytes(), BUDGET, ReadOptions(file_name="b.xlsx"))
    assert_frame_equal(from_bytes.rows, read_import(path, BUDGET).rows)
    assert from_bytes.file_kind == "xlsx"


# --------------------------------------------------------------------------------------- hostile files


def test_a_file_over_the_size_limit_is_unreadable(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "big.xlsx", [["UID", "Apr-26"], ["A", 1]])
    with pytest.raises(WorkbookUnreadable, match=r"big.xlsx is .* MB, over the 0.0 MB limit"):
        read_import(path, BUDGET, ReadOptions(limits=ReadLimits(max_file_bytes=100)))


def test_a_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 2_000_000)
    assert path.stat().st_size < 20_000
    with pytest.raises(WorkbookUnreadable, match="zip bomb"):
        read_import(path, BUDGET, ReadOptions(limits=ReadLimits(max_uncompressed_bytes=1_000_000)))


def test_the_uncompressed_limit_applies_to_real_workbooks(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "ok.xlsx", [["UID", "Apr-26"], ["A", 1]])
    with pytest.raises(WorkbookUnreadable, match="unpacks to"):
        read_import(path, BUDGET, ReadOptions(limits=ReadLimits(max_uncompressed_bytes=1000)))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "is empty"),
        (bytes(range(256)) * 8, r"not a spreadsheet \(.xlsx, .xlsm, .xlsb, .xls, .ods or .csv\)"),
        (b"PK\x03\x04" + b"\x00" * 100, "damaged or truncated"),
    ],
)
def test_files_that_are_not_workbooks_are_unreadable(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(content)
    with pytest.raises(WorkbookUnreadable, match=match) as unreadable:
        read_import(path, BUDGET)
    assert "\n" not in str(unreadable.value) and str(unreadable.value).startswith("budget.xlsx ")


def test_a_csv_file_is_read_whatever_its_name(tmp_path: Path) -> None:
    """The former reader refused text ('not an Excel workbook ... text or CSV'); the engine reads CSV by
    its content, as one sheet named after the file."""
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"UID,Apr-26\nA,1\n")
    parsed = read_import(path, BUDGET)
    assert (parsed.file_kind, parsed.sheet) == ("csv", "budget")
    assert parsed.rows.select("uid", "m01").rows() == [("A", Decimal(1))]


def test_a_truncated_workbook_is_unreadable(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "whole.xlsx", [["UID", "Apr-26"], *[[f"U{i}", i] for i in range(500)]])
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 40):
        with pytest.raises(WorkbookUnreadable) as unreadable:
            read_import(data[:cut], BUDGET, ReadOptions(file_name="cut.xlsx"))
        assert "\n" not in str(unreadable.value) and "cut.xlsx" in str(unreadable.value)


def test_a_zip_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    with pytest.raises(WorkbookUnreadable, match="zip file but not a spreadsheet"):
        read_import(path, BUDGET)


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(WorkbookUnreadable, match="cannot be opened"):
        read_import(tmp_path / "nowhere.xlsx", BUDGET)
