"""Cell values of a budget sheet as Polars expressions: amounts, and the two service dates.

Every parser returns a struct of the parsed `value` and a `problem` code (null when the cell is fine),
so a whole column is parsed in one vectorised pass and only the cells with a problem are looked at
one by one afterwards (to word the error).

Amounts are `Decimal(18, 2)`: at most 16 digits before the decimal point, rounded half away from
zero to 2 decimals. Text amounts may use western (1,234,567.89) or Indian (12,34,567.89) grouping,
a currency symbol or code before or after, a leading minus or accounting brackets; a dash or an
empty cell is zero.

FX rates are read by the same rules to `Decimal(18, 6)` (`rate_from_text`, `rate_from_number`): at most
12 digits before the point, rounded half away from zero to 6 decimals.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from functools import partial

import polars as pl

AMOUNT = pl.Decimal(18, 2)
MAX_INTEGER_DIGITS = 16
RATE_SCALE = 6
RATE = pl.Decimal(18, RATE_SCALE)
_WIDE = pl.Decimal(38, 9)  # room for any text amount before it is rounded and checked

# Problem codes.
NOT_AN_AMOUNT = "amount"
TOO_LARGE = "too_large"
NOT_A_DATE = "date"

DASHES = ("-", "–", "—", "−")  # hyphen, en dash, em dash, minus sign: zero

_CURRENCY = r"(?:₹|us\$|\$|€|£|¥|rs\.?|inr|usd|eur|gbp|aud|cad|sgd|aed|jpy|chf|cny|hkd|nzd|zar|sar|myr|thb)"
_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}|[0-9]+)"  # western | Indian | none
_BODY = rf"(?:{_NUMBER}(?:\.[0-9]*)?|\.[0-9]+)"
_C = rf"(?:{_CURRENCY}\s*)?"
_AMOUNT_SHAPE = rf"(?i)^{_C}(?:\(\s*{_C}{_BODY}\s*{_C}\)|(?:[-+−]\s*)?{_C}{_BODY})(?:\s*{_CURRENCY})?$"
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"  # how the reader hands over numeric cells: the fast path


AMOUNT_RESULT = pl.Struct({"value": AMOUNT, "problem": pl.String})
RATE_RESULT = pl.Struct({"value": RATE, "problem": pl.String})
DATE_RESULT = pl.Struct({"value": pl.Date, "problem": pl.String})


def amount_from_text(text: pl.Expr) -> pl.Expr:
    """Parse a String column of amounts into struct{value: Decimal(18, 2), problem: String}."""
    return text.map_batches(amounts_from_text, return_dtype=AMOUNT_RESULT, is_elementwise=True)


def amount_from_number(number: pl.Expr) -> pl.Expr:
    """Parse a numeric column of amounts into struct{value: Decimal(18, 2), problem: String}; null is 0."""
    return number.map_batches(amounts_from_numbers, return_dtype=AMOUNT_RESULT, is_elementwise=True)


def rate_from_text(text: pl.Expr) -> pl.Expr:
    """Parse a String column of FX rates into struct{value: Decimal(18, 6), problem: String}."""
    return text.map_batches(partial(amounts_from_text, scale=RATE_SCALE), return_dtype=RATE_RESULT, is_elementwise=True)


def rate_from_number(number: pl.Expr) -> pl.Expr:
    """Parse a numeric column of FX rates into struct{value: Decimal(18, 6), problem: String}; null is 0."""
    return number.map_batches(
        partial(amounts_from_numbers, scale=RATE_SCALE), return_dtype=RATE_RESULT, is_elementwise=True
    )


def date_from_text(text: pl.Expr, *, day_first: bool = True) -> pl.Expr:
    """Parse a String column of dates into struct{value: Date, problem: String}; empty is null."""
    return text.map_batches(
        partial(dates_from_text, day_first=day_first), return_dtype=DATE_RESULT, is_elementwise=True
    )


# The expressions above run these on whole columns. Each step is a column of its own, computed once:
# written as one nested expression, Polars would evaluate shared sub-expressions again for every use.


def amounts_from_text(text: pl.Series, *, scale: int = 2) -> pl.Series:
    """See `amount_from_text`. Plain numbers ('1234.5', '-12', as numeric cells arrive) take a fast
    cast; only the other cells meet the regular expressions (the plain ones are masked to null).
    `scale` is the number of decimals kept (2 for amounts, 6 for rates) within 18 digits in all."""
    t = pl.col("text")
    frame = pl.DataFrame({"text": text.cast(pl.String)}).with_columns(
        plain=t.str.contains(_PLAIN_NUMBER).fill_null(False)
    )
    frame = frame.with_columns(
        fast=pl.when("plain").then(t).cast(_WIDE, strict=False),
        rest=pl.when(~pl.col("plain")).then(t).str.strip_chars(),
    )
    frame = frame.with_columns(
        core=pl.col("rest").str.replace_all(f"(?i){_CURRENCY}", "").str.replace_all(r"\s+", ""),
    )
    frame = frame.with_columns(
        zero=t.is_null() | (pl.col("rest") == "").fill_null(False) | pl.col("core").is_in(DASHES).fill_null(False)
    )
    frame = frame.with_columns(
        shaped=pl.col("rest").str.contains(_AMOUNT_SHAPE).fill_null(False) & ~pl.col("zero"),
        negative=pl.col("core").str.contains(r"^[-−(]").fill_null(False),
    )
    frame = frame.with_columns(
        slow=pl.when("shaped").then(pl.col("core").str.replace_all(r"[^0-9.]", "")).cast(_WIDE, strict=False)
    )
    slow = pl.when("negative").then(-pl.col("slow")).otherwise(pl.col("slow"))
    zero = pl.when("zero").then(pl.lit(0, _WIDE))
    frame = frame.with_columns(
        wide=pl.coalesce(pl.col("fast"), slow, zero).round(scale, mode="half_away_from_zero"),
    )
    # A number too long for Decimal(38, 9) fails the cast although its shape is right.
    too_large = (pl.col("wide").abs() >= _limit(scale)).fill_null(False) | (
        (pl.col("plain") | pl.col("shaped")) & pl.col("wide").is_null()
    )
    frame = frame.with_columns(
        problem=pl.when(too_large).then(pl.lit(TOO_LARGE)).when(pl.col("wide").is_null()).then(pl.lit(NOT_AN_AMOUNT))
    )
    return frame.select(
        value=pl.when(pl.col("problem").is_null()).then(pl.col("wide")).cast(pl.Decimal(18, scale)),
        problem=pl.col("problem"),
    ).to_struct(text.name)


def _limit(scale: int) -> int:
    """The smallest figure too large for Decimal(18, scale): 10^16 for amounts, 10^12 for rates."""
    return 10 ** (18 - scale)


def amounts_from_numbers(number: pl.Series, *, scale: int = 2) -> pl.Series:
    """See `amount_from_number`. The figure in cents is first taken to 15 significant digits, as
    Excel shows it, so a cell typed as 1.005 (stored as 1.00499999...) rounds to 1.01 as the user
    expects. Figures of 10^13 and more (no room left for cents in 15 digits) go through their
    shortest decimal text instead, which is exact. Rates (`scale` 6) work the same in millionths."""
    unit = 10**scale
    exact = 10 ** (15 - scale)  # below this, a float's cents (or millionths) fit in 15 significant digits
    dtype = pl.Decimal(18, scale)
    frame = pl.DataFrame({"number": number.cast(pl.Float64)})
    frame = frame.with_columns(small=(pl.col("number").abs() < exact) | pl.col("number").is_null())
    units = (pl.col("number") * unit).round_sig_figs(15).round(0, mode="half_away_from_zero")
    frame = frame.with_columns(
        value=pl.when("small").then((units.fill_null(0) / unit).cast(dtype)), problem=pl.lit(None, pl.String)
    )
    large = frame.filter(~pl.col("small"))
    if large.height:  # rare: exact, but slower
        wide = pl.col("number").cast(pl.String).cast(_WIDE, strict=False).round(scale, mode="half_away_from_zero")
        fits = (wide.abs() < _limit(scale)).fill_null(False)
        index = frame.with_row_index("index").filter(~pl.col("small"))["index"]
        large = large.select(value=pl.when(fits).then(wide).cast(dtype), problem=pl.when(~fits).then(pl.lit(TOO_LARGE)))
        frame = frame.with_columns(
            frame["value"].scatter(index, large["value"]), frame["problem"].scatter(index, large["problem"])
        )
    return frame.select("value", "problem").to_struct(number.name)


def number_as_text(number: pl.Expr) -> pl.Expr:
    """A numeric cell as text the way a person reads it: 42.0 -> '42', 4.5 -> '4.5'."""
    number = number.cast(pl.Float64)
    whole = (number == number.round(0)) & (number.abs() < 9e18)
    as_integer = number.cast(pl.Int64, strict=False).cast(pl.String)
    return pl.when(whole).then(as_integer).otherwise(number.cast(pl.String))


_MONTHS = {calendar.month_abbr[m].casefold(): m for m in range(1, 13)} | {
    calendar.month_name[m].casefold(): m for m in range(1, 13)
}
_MONTHS["sept"] = 9
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
_NUMERIC_DATE = r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})$"
_NAMED_DATE = r"(?i)^([0-9]{1,2})[\s\-/.]*([a-z]{3,9})\.?[\s\-/.,]*([0-9]{4}|[0-9]{2})$"


def _iso_text(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    year = pl.when(year.str.len_chars() == 2).then(pl.lit("20") + year).otherwise(year)
    return pl.concat_str(year, month.str.zfill(2), day.str.zfill(2), separator="-")


def dates_from_text(text: pl.Series, *, day_first: bool = True) -> pl.Series:
    """See `date_from_text`. Accepts ISO ('2026-04-01', also with a time), '01/04/2026' and
    '01-04-2026' (day first when `day_first`, else month first), and '1-Apr-2026' / '01 Apr 2026' /
    '1 April 26'."""
    t = pl.col("text")
    frame = pl.DataFrame({"text": text.cast(pl.String)}).with_columns(t.str.strip_chars())
    frame = frame.with_columns(
        iso=pl.when(t.str.contains(_ISO)).then(t.str.slice(0, 10)).str.to_date("%Y-%m-%d", strict=False)
    )
    frame = frame.with_columns(rest=pl.when(pl.col("iso").is_null()).then(t))
    frame = frame.with_columns(
        numeric=pl.col("rest").str.extract_groups(_NUMERIC_DATE),
        named=pl.col("rest").str.extract_groups(_NAMED_DATE),
    )
    first, second = pl.col("numeric").struct.field("1"), pl.col("numeric").struct.field("2")
    day, month = (first, second) if day_first else (second, first)
    named_month = (
        pl.col("named")
        .struct.field("2")
        .str.to_lowercase()
        .replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)
        .cast(pl.String)
    )
    numeric_date = _iso_text(pl.col("numeric").struct.field("3"), month, day)
    named_date = _iso_text(pl.col("named").struct.field("3"), named_month, pl.col("named").struct.field("1"))
    frame = frame.with_columns(
        value=pl.coalesce(
            pl.col("iso"),
            numeric_date.str.to_date("%Y-%m-%d", strict=False),
            named_date.str.to_date("%Y-%m-%d", strict=False),
        )
    )
    return frame.select(
        pl.col("value"),
        problem=pl.when(pl.col("value").is_null() & (t != "").fill_null(False)).then(pl.lit(NOT_A_DATE)),
    ).to_struct(text.name)


class AmountError(ValueError):
    """One typed amount that is not an amount; `problem` is NOT_AN_AMOUNT or TOO_LARGE."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(f"'{text}' is {'too large' if problem == TOO_LARGE else 'not an amount'}")
        self.problem = problem


def parse_amount(text: str) -> Decimal:
    """One amount typed by a person, read by exactly the rules of the import; raises AmountError."""
    parsed = amounts_from_text(pl.Series([text], dtype=pl.String)).struct.unnest().row(0, named=True)
    if parsed["problem"] is not None:
        raise AmountError(text, parsed["problem"])
    value: Decimal | None = parsed["value"]
    return value if value is not None else Decimal("0.00")


_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2_958_465  # 9999-12-31
SERIAL_TEXT = r"^\s*[0-9]{5}(?:\.[0-9]+)?\s*$"  # '45383' as a text cell: an Excel date serial


def date_from_serial(number: pl.Expr) -> pl.Expr:
    """Excel date serial numbers (days since 1899-12-30; a fraction is the time of day, dropped) into
    struct{value: Date, problem: String}; empty is null, a number out of Excel's range is NOT_A_DATE."""
    number = number.cast(pl.Float64)
    ok = (number >= 1) & (number <= _MAX_SERIAL)
    value = pl.lit(_EXCEL_EPOCH) + pl.duration(days=number.floor().cast(pl.Int64))
    return pl.struct(
        pl.when(ok).then(value).cast(pl.Date).alias("value"),
        pl.when(number.is_not_null() & ~ok.fill_null(False)).then(pl.lit(NOT_A_DATE)).alias("problem"),
    )
