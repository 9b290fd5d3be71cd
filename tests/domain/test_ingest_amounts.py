from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

from opex_app.domain.ingest.amounts import (
    AMOUNT,
    NOT_A_DATE,
    NOT_AN_AMOUNT,
    TOO_LARGE,
    amount_from_number,
    amount_from_text,
    date_from_text,
    number_as_text,
)


def _amounts(texts: Sequence[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(amount_from_text(pl.col("t"))).unnest("t")


def _expected(values: Sequence[str | None], problems: Sequence[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"value": [None if v is None else Decimal(v) for v in values], "problem": problems},
        schema={"value": AMOUNT, "problem": pl.String},
    )


GOOD_TEXT = [
    ("1234.5", "1234.50"),
    ("-12", "-12.00"),
    ("0", "0.00"),
    ("1,234,567.89", "1234567.89"),  # western grouping
    ("12,34,567.89", "1234567.89"),  # Indian grouping
    ("1,00,00,000", "10000000.00"),
    ("  1,234.50  ", "1234.50"),
    ("\u00a01,234\u00a0", "1234.00"),
    ("₹1,234", "1234.00"),
    ("₹ 1,23,456.78", "123456.78"),
    ("$1,234.50", "1234.50"),
    ("€ 99", "99.00"),
    ("£5.5", "5.50"),
    ("INR 1,234", "1234.00"),
    ("1,234 INR", "1234.00"),
    ("USD 10", "10.00"),
    ("10 usd", "10.00"),
    ("EUR1.5", "1.50"),
    ("GBP 7", "7.00"),
    ("Rs 500", "500.00"),
    ("Rs. 1,500", "1500.00"),
    ("Rs.1,500.25", "1500.25"),
    ("(1,234.00)", "-1234.00"),  # accounting negative
    ("(₹1,234)", "-1234.00"),
    ("₹(1,234)", "-1234.00"),
    ("(1,234) INR", "-1234.00"),
    ("-₹1,234", "-1234.00"),
    ("₹ -1,234", "-1234.00"),
    ("- 1,234", "-1234.00"),
    ("−1,234", "-1234.00"),  # minus sign
    ("+1,234", "1234.00"),
    (".5", "0.50"),
    ("12.", "12.00"),
    ("1.005", "1.01"),  # half away from zero
    ("-1.005", "-1.01"),
    ("0.125", "0.13"),
    ("2.675", "2.68"),
    ("123456789012.345001221", "123456789012.35"),  # how fastexcel writes a float as text
    ("9999999999999999.99", "9999999999999999.99"),  # 16 integer digits: the most allowed
    ("-", "0.00"),
    ("–", "0.00"),
    ("—", "0.00"),
    ("  -  ", "0.00"),
    ("₹ -", "0.00"),
    ("", "0.00"),
    ("   ", "0.00"),
    (None, "0.00"),
]


def test_text_amount_shapes() -> None:
    texts = [text for text, _ in GOOD_TEXT]
    assert_frame_equal(_amounts(texts), _expected([value for _, value in GOOD_TEXT], [None] * len(texts)))


BAD_TEXT = [
    "abc",
    "#REF!",
    "#DIV/0!",
    "#N/A",
    "1.2.3",
    "1,23",
    "1,2345",
    "123,45,678",
    "12abc",
    "(1,234",
    "1,234)",
]
BAD_TEXT += ["1e3", "INR", "₹", "--5", "(-5)", "5-", "1 234", "12.5%", "TRUE", "NA", "१२३"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_text_that_is_not_an_amount(text: str) -> None:
    assert_frame_equal(_amounts([text]), _expected([None], [NOT_AN_AMOUNT]))


@pytest.mark.parametrize("text", ["12345678901234567", "-10000000000000000", "9999999999999999.995", "1" * 40])
def test_amounts_over_sixteen_integer_digits(text: str) -> None:
    assert_frame_equal(_amounts([text]), _expected([None], [TOO_LARGE]))


def test_plain_and_other_cells_mixed_keep_their_rows() -> None:
    result = _amounts(["1", "₹2", "x", None, "(3)", "4.5"])
    assert_frame_equal(
        result, _expected(["1", "2", None, "0", "-3", "4.5"], [None, None, NOT_AN_AMOUNT, None, None, None])
    )


def test_numeric_amounts_round_as_excel_shows_them() -> None:
    numbers = pl.DataFrame({"n": [1234.5, 1.005, -1.005, 2.675, 0.1 + 0.2, 123456789012.345, -0.004, None, 42]})
    result = numbers.select(amount_from_number(pl.col("n"))).unnest("n")
    expected = ["1234.5", "1.01", "-1.01", "2.68", "0.30", "123456789012.35", "0.00", "0.00", "42"]
    assert_frame_equal(result, _expected(expected, [None] * 9))


def test_numeric_amounts_over_sixteen_integer_digits() -> None:
    numbers = pl.DataFrame({"n": [1e16, -2.5e17, 999999999999999.0, 9999999999999998.0]})
    result = numbers.select(amount_from_number(pl.col("n"))).unnest("n")
    expected = _expected([None, None, "999999999999999", "9999999999999998"], [TOO_LARGE, TOO_LARGE, None, None])
    assert_frame_equal(result, expected)


def test_integer_column_amounts() -> None:
    numbers = pl.DataFrame({"n": [1, -2, None]}, schema={"n": pl.Int64})
    result = numbers.select(amount_from_number(pl.col("n"))).unnest("n")
    assert_frame_equal(result, _expected(["1", "-2", "0"], [None, None, None]))


def test_number_as_text() -> None:
    numbers = pl.Series("n", [42.0, 4.5, -7.0, None, 1e20])
    assert_series_equal(
        pl.select(number_as_text(pl.lit(numbers))).to_series(),
        pl.Series("n", ["42", "4.5", "-7", None, "1e+20"]),
        check_names=False,
    )


def _dates(texts: Sequence[str | None], *, day_first: bool = True) -> pl.DataFrame:
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    return frame.select(date_from_text(pl.col("t"), day_first=day_first)).unnest("t")


DATE_TEXTS = ["2026-04-01", "2026-04-01 00:00:00", "2026-04-01T10:30", "01/04/2026", "1/4/2026", "01-04-2026"]
DATE_TEXTS += [
    "01.04.2026",
    "01/04/26",
    "1-Apr-2026",
    "01 Apr 2026",
    "1 April 2026",
    "1-apr-26",
    "01-Sept-2026",
]


def test_date_shapes_day_first() -> None:
    result = _dates(DATE_TEXTS)
    expected: list[date | None] = [*[date(2026, 4, 1)] * 12, date(2026, 9, 1)]
    assert_frame_equal(
        result,
        pl.DataFrame({"value": expected, "problem": [None] * 13}, schema={"value": pl.Date, "problem": pl.String}),
    )


def test_numeric_dates_month_first() -> None:
    result = _dates(["04/01/2026", "4-1-2026", "2026-04-01", "1-Apr-2026", "13/01/2026"], day_first=False)
    assert result["value"].to_list() == [date(2026, 4, 1)] * 4 + [None]
    assert result["problem"].to_list() == [None] * 4 + [NOT_A_DATE]


@pytest.mark.parametrize("text", ["xyz", "31/04/2026", "2026-02-30", "13/13/2026", "Apr 2026", "1-Foo-2026", "46113"])
def test_text_that_is_not_a_date(text: str) -> None:
    assert _dates([text]).row(0) == (None, NOT_A_DATE)


def test_empty_dates_are_null_without_a_problem() -> None:
    assert _dates([None, "", "  "]).rows() == [(None, None)] * 3
