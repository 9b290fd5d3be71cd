from datetime import date, datetime

import pytest

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.headers import (
    ALIASES,
    MonthHeader,
    header_key,
    header_text,
    is_header_row,
    is_total_label,
    looked_for,
    match_field,
    parse_month_header,
)

EVERY_ALIAS = [(alias, field) for field, aliases in ALIASES.items() for alias in aliases]


@pytest.mark.parametrize(("alias", "field"), EVERY_ALIAS)
def test_every_alias_names_its_field(alias: str, field: str) -> None:
    assert match_field(alias) == field
    assert match_field(f"  {alias.upper()}  ") == field
    assert match_field(alias.lower().replace(" ", "-")) == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Cost-Centre", "cost_centre"),
        ("cost   centre", "cost_centre"),
        ("Line_ID", "uid"),
        ("P.O. Entity", "entity"),
        ("Remarks:", "remarks"),
        ("FY27 Budget", "total"),
        ("FY 2027 Budget", "total"),
        ("FY27 Total", "total"),
        ("fy'27 budget", "total"),
        ("Total (₹)", "total"),
    ],
)
def test_headers_match_after_trimming_case_folding_and_dropping_punctuation(text: str, field: str) -> None:
    assert match_field(text) == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Parent UID", "parent_uid"),  # never 'UID'
        ("Total Count", None),  # never 'Total'
        ("UID 2", None),
        ("Service Start Date", None),
        ("Vendor Code", None),
        ("FY27 Budget Q1", None),
        ("Budget", None),
        ("", None),
        ("   ", None),
    ],
)
def test_headers_match_on_the_whole_text_only(text: str, field: str | None) -> None:
    assert match_field(text) == field


def test_header_key_keeps_letters_and_digits() -> None:
    assert header_key(" Line-ID (new) ") == "lineidnew"


@pytest.mark.parametrize(
    ("value", "month", "year"),
    [
        ("Apr", 4, None),
        ("April", 4, None),
        ("apr", 4, None),
        ("APRIL", 4, None),
        ("Sept", 9, None),
        ("Sep", 9, None),
        ("September", 9, None),
        ("Apr-26", 4, 2026),
        ("Apr 26", 4, 2026),
        ("Apr'26", 4, 2026),
        ("Apr’26", 4, 2026),
        ("Apr26", 4, 2026),
        ("Apr 2026", 4, 2026),
        ("April-2026", 4, 2026),
        ("April, 2026", 4, 2026),
        ("Sept-26", 9, 2026),
        ("Jan-27", 1, 2027),
        ("04/2026", 4, 2026),
        ("4/2026", 4, 2026),
        ("04-2026", 4, 2026),
        ("2026-04", 4, 2026),
        ("2026-04-01", 4, 2026),
        ("2026-04-15 00:00:00", 4, 2026),
        (date(2026, 4, 15), 4, 2026),
        (datetime(2026, 4, 1, 0, 0), 4, 2026),
        (datetime(2027, 3, 31, 18, 30), 3, 2027),
    ],
)
def test_month_header_shapes(value: object, month: int, year: int | None) -> None:
    assert parse_month_header(value) == MonthHeader(month, year)


@pytest.mark.parametrize(
    "value",
    [
        "Aprx",
        "Mayday",
        "13/2026",
        "00/2026",
        "2026-13",
        "2026-02-30",
        "Total",
        "Apr-2026-x",
        "",
        42.0,
        46113,
        None,
    ],
)
def test_not_month_headers(value: object) -> None:
    assert parse_month_header(value) is None


def test_month_headers_map_to_fiscal_months() -> None:
    assert MonthHeader(4, 2026).fiscal(4) == (FiscalYear(2027), 1)
    assert MonthHeader(3, 2027).fiscal(4) == (FiscalYear(2027), 12)
    assert MonthHeader(3, 2026).fiscal(4) == (FiscalYear(2026), 12)
    assert MonthHeader(1, None).fiscal(4) == (None, 10)
    assert MonthHeader(1, 2027).fiscal(1) == (FiscalYear(2027, 1), 1)


@pytest.mark.parametrize(
    "text",
    [
        "Total",
        "TOTAL",
        "Total:",
        "Totals",
        "Grand Total",
        "Sub-total",
        "Subtotal",
        "Sub Total",
        "Total Infrastructure",
    ],
)
def test_total_labels(text: str) -> None:
    assert is_total_label(text)


@pytest.mark.parametrize("text", ["Totally new licence", "Subscription", "Network", "Net total", "", None])
def test_not_total_labels(text: str | None) -> None:
    assert not is_total_label(text)


def test_header_row_needs_a_uid_and_a_month() -> None:
    assert is_header_row(["UID", "Description", "Apr-26"])
    assert is_header_row([None, "Line ID", datetime(2026, 4, 1)])
    assert not is_header_row(["UID", "Description", "Total"])
    assert not is_header_row(["Parent UID", "Apr-26"])
    assert not is_header_row(["Description", "Apr", "May"])


def test_looked_for_names_the_columns() -> None:
    text = looked_for()
    for alias in ALIASES["uid"]:
        assert f"'{alias}'" in text
    assert "month" in text and "Apr-26" in text


def test_header_text_shows_dates_and_whole_numbers_plainly() -> None:
    assert header_text(datetime(2026, 4, 1)) == "2026-04-01"
    assert header_text(date(2026, 4, 1)) == "2026-04-01"
    assert header_text(42.0) == "42"
    assert header_text("  Vendor ") == "Vendor"
    assert header_text(None) == ""
