"""How the checks and the links of actuals word what they find: frames of (row, field, value, message),
built column-wise so that 100,000 rows cost one expression, not 100,000 f-strings."""

from __future__ import annotations

from typing import Any

import polars as pl

from opex_app.domain.money import format_indian

ISSUES: dict[str, Any] = {"row": pl.Int64, "field": pl.String, "value": pl.String, "message": pl.String}


def issues(frame: pl.DataFrame, field_name: str, value: pl.Expr, message: pl.Expr) -> pl.DataFrame:
    """One issue per row of `frame`, in the ISSUES shape."""
    return frame.select(
        pl.col("row"),
        pl.lit(field_name).alias("field"),
        value.cast(pl.String).fill_null("").alias("value"),
        message.alias("message"),
    )


def fy_name(end_year: pl.Expr) -> pl.Expr:
    return pl.lit("FY") + (end_year % 100).cast(pl.String).str.zfill(2)


def shown_date(day: pl.Expr) -> pl.Expr:
    return day.dt.strftime("%d-%b-%Y")


def shown_amount(currency: pl.Expr, amount: pl.Expr) -> pl.Expr:
    return pl.concat_str(currency, pl.lit(" "), amount.map_elements(format_indian, return_dtype=pl.String))


def invoice_named() -> pl.Expr:
    vendor = pl.when(pl.col("vendor").is_not_null()).then(pl.lit(" of ") + pl.col("vendor")).otherwise(pl.lit(""))
    return pl.concat_str(pl.lit("invoice '"), pl.col("invoice_number"), pl.lit("'"), vendor)
