"""The "rate" value kind: FX rates read like amounts (same shapes, same problems) but to 6 decimals,
Decimal(18, 6); and the FX import spec read by the engine from a workbook and a CSV."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opex_app.domain.ingest import ReadOptions, read_import
from opex_app.domain.ingest.amounts import (
    AMOUNT,
    NOT_AN_AMOUNT,
    RATE,
    TOO_LARGE,
    amount_from_number,
    rate_from_number,
    rate_from_text,
)
from opex_app.domain.ingest.specs import FX_RATES, get_spec
from tests.domain.workbooks import Formula, csv_bytes, write_workbook


def _rates(texts: Sequence[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(rate_from_text(pl.col("t"))).unnest("t")


def _expected(values: Sequence[str | None], problems: Sequence[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"value": [None if v is None else Decimal(v) for v in values], "problem": problems},
        schema={"value": RATE, "problem": pl.String},
    )


def test_text_rates_keep_six_decimals() -> None:
    texts = ["83.2512", "0.0123456789", "1,234.5678915", "₹ 90.40", "USD 1", "12", "", "-", "-2.5", "(3)"]
    values = ["83.2512", "0.012346", "1234.567892", "90.40", "1", "12", "0", "0", "-2.5", "-3"]
    assert_frame_equal(_rates(texts), _expected(values, [None] * len(texts)))


def test_text_that_is_not_a_rate_is_a_problem() -> None:
    assert_frame_equal(
        _rates(["abc", "1.2.3", "999999999999.9999994", "1000000000000"]),
        _expected([None, None, "999999999999.999999", None], [NOT_AN_AMOUNT, NOT_AN_AMOUNT, None, TOO_LARGE]),
    )


def test_numeric_rates_round_as_typed_to_six_decimals() -> None:
    numbers = pl.Series("n", [83.25, 0.0123455, 1.0000005, 84.123456789, None, 2e12])
    parsed = pl.DataFrame({"n": numbers}).select(rate_from_number(pl.col("n"))).unnest("n")
    assert_frame_equal(
        parsed, _expected(["83.25", "0.012346", "1.000001", "84.123457", "0", None], [None] * 5 + [TOO_LARGE])
    )


def test_amounts_are_unchanged_by_the_rate_kind() -> None:
    parsed = pl.DataFrame({"n": [83.2512]}).select(amount_from_number(pl.col("n"))).unnest("n")
    assert parsed.schema["value"] == AMOUNT and parsed["value"].to_list() == [Decimal("83.25")]


def test_the_fx_spec_is_registered_with_its_headers() -> None:
    spec = get_spec("fx")
    assert spec is FX_RATES and spec.key == ("currency", "effective_from") and not spec.month_columns
    assert spec.field("rate").kind == "rate" and set(spec.required) == {"currency", "rate", "effective_from"}
    assert [spec.match(h) for h in ("CCY", "Currency Code", "Curr", "Valid From", "Date", "From", "Rate")] == [
        "currency",
        "currency",
        "currency",
        "effective_from",
        "effective_from",
        "effective_from",
        "rate",
    ]


def test_an_fx_workbook_is_read_by_the_engine(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["FX rates for FY42"],
        [],
        ["CCY", "Rate", "Valid From", "Source"],
        ["usd", 83.251234, date(2041, 4, 1), "RBI"],
        ["EUR", "90.4", "01/04/2041", "RBI"],
        ["GBP", "abc", "2041-04-01", "RBI"],
        ["JPY", Formula("=1/0", "#DIV/0!"), "2041-04-01", ""],
        ["CHF", 95, "not a date", ""],
        ["EUR", 91, date(2041, 4, 1), "a second EUR rate of that date"],
    ]
    parsed = read_import(write_workbook(tmp_path / "fx.xlsx", rows, sheet="Rates"), FX_RATES, ReadOptions())
    assert parsed.layout == "table" and parsed.fiscal_year is None and parsed.header_row == 3
    assert parsed.rows.schema["rate"] == RATE and parsed.rows.schema["effective_from"] == pl.Date
    assert parsed.ignored_columns == ["Source"]
    first = parsed.rows.row(0, named=True)
    assert (first["currency"], first["rate"], first["effective_from"], first["valid"]) == (
        "USD",
        Decimal("83.251234"),
        date(2041, 4, 1),
        True,
    )
    by_cell = {e.cell: e.message for e in parsed.errors}
    assert "abc" in by_cell["B6"]
    assert "#DIV/0!" in by_cell["B7"]
    assert "not a date" in by_cell["C8"]
    assert "appears more than once" in by_cell["A5"] and "appears more than once" in by_cell["A9"]
    assert parsed.rows.filter(pl.col("valid"))["currency"].to_list() == ["USD"]


def test_an_fx_csv_is_read_by_the_engine() -> None:
    data = csv_bytes([["Currency", "Rate", "Effective From"], ["SGD", "61.123456", "15-Apr-2041"], ["AED", "", ""]])
    parsed = read_import(data, FX_RATES, ReadOptions(file_name="rates.csv"))
    assert parsed.rows.select("currency", "rate", "effective_from").rows() == [
        ("SGD", Decimal("61.123456"), date(2041, 4, 15)),
        ("AED", Decimal("0"), None),  # an empty rate reads as zero (the import refuses it); an empty date is an error
    ]
    assert [e.cell for e in parsed.errors] == ["C3"]


@pytest.mark.parametrize("header", ["Currency", "Rate", "Effective From"])
def test_each_fx_column_is_required(header: str) -> None:
    from opex_app.domain.ingest import WorkbookRefused

    headers = [h for h in ("Currency", "Rate", "Effective From") if h != header]
    with pytest.raises(WorkbookRefused, match=header):
        read_import(csv_bytes([headers, ["USD"] * len(headers)]), FX_RATES, ReadOptions(file_name="rates.csv"))
