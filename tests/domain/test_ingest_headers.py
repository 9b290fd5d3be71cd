"""Header rows: which header names which field of the budget spec, month headers, total labels, and
the header rule (a key column and months)."""

from datetime import date, datetime

import pytest

from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.headers import classify, header_text, is_total_label
from opex_app.domain.ingest.months import MonthHeader, parse_month_header
from opex_app.domain.ingest.specs import BUDGET, header_key
from tests.domain.workbooks import BUDGET_HEADERS

EVERY_ALIAS = [(alias, spec.name) for spec in BUDGET.fields for alias in spec.headers()]


@pytest.mark.parametrize(("alias", "field"), EVERY_ALIAS)
def test_every_alias_names_its_field(alias: str, field: str) -> None:
    assert BUDGET.match(alias) == field
    assert BUDGET.match(f"  {alias.upper()}  ") == field
    assert BUDGET.match(alias.lower().replace(" ", "-")) == field


def test_every_header_of_the_export_names_a_field_or_a_month() -> None:
    layout = classify(dict(enumerate(BUDGET_HEADERS)), BUDGET, {})
    assert set(layout.fields) == set(BUDGET.names) - {"month", "amount"}
    assert len(layout.months) == 12 and layout.ignored == []


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
    assert BUDGET.match(text) == field


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
    assert BUDGET.match(text) == field


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
        "Totals",
        "Grand Total",
        "grand totals",
        "Sub-total",
        "Subtotal",
        "Total Infrastructure",
        "Total Income",
        "  Total ",
    ],
)
def test_total_labels(text: str) -> None:
    assert is_total_label(text)


# The whole word, then the end or a space: 'Total:' and 'Sub Total' (totals for the former reader) are not.
@pytest.mark.parametrize(
    "text",
    ["Totally new licence", "Subscription", "Network", "Net total", "TOTAL-01", "Total:", "Sub Total", "", None],
)
def test_not_total_labels(text: str | None) -> None:
    assert not is_total_label(text)


def _is_header_row(cells: list[object]) -> bool:
    layout = classify(dict(enumerate(cells)), BUDGET, {})
    return BUDGET.header_ok(set(layout.fields), len(layout.months))


def test_header_row_needs_a_uid_and_months() -> None:
    assert _is_header_row(["UID", "Description", "Apr-26"])
    assert _is_header_row([None, "Line ID", datetime(2026, 4, 1)])
    assert _is_header_row(["UID", "Month", "Amount"])  # the long layout
    assert not _is_header_row(["UID", "Description", "Total"])
    assert not _is_header_row(["UID", "Month"])
    assert not _is_header_row(["Parent UID", "Apr-26"])
    assert not _is_header_row(["Description", "Apr", "May"])


def test_a_mapped_header_names_its_field_before_the_aliases() -> None:
    layout = classify({0: "Cost ID", 1: "Apr-26"}, BUDGET, {"cost id": "uid"})
    assert layout.fields == {"uid": 0} and layout.mapped == {"costid"}
    # a mapped column takes the field: the column the alias names is then ignored
    layout = classify({0: "UID", 1: "Cost ID", 2: "Apr-26"}, BUDGET, {"Cost ID": "uid"})
    assert layout.fields == {"uid": 1} and layout.ignored == [0]


def test_looked_for_names_the_columns() -> None:
    text = BUDGET.looked_for()
    for alias in BUDGET.field("uid").headers()[:4]:
        assert f"'{alias}'" in text
    assert "month" in text and "Apr-26" in text
    assert "a Month and an Amount column" in text


def test_header_text_shows_dates_and_whole_numbers_plainly() -> None:
    assert header_text(datetime(2026, 4, 1)) == "2026-04-01"
    assert header_text(date(2026, 4, 1)) == "2026-04-01"
    assert header_text(42.0) == "42"
    assert header_text("  Vendor ") == "Vendor"
    assert header_text(None) == ""
