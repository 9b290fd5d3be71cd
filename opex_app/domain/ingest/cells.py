"""Cell values as Polars expressions: a typed column as the text a person would type, blanks as null,
and whether a row holds anything."""

from __future__ import annotations

import polars as pl

from opex_app.domain.ingest.amounts import amount_from_number, number_as_text


def blank_to_null(text: pl.Expr) -> pl.Expr:
    text = text.str.strip_chars()
    return pl.when(text != "").then(text)


def as_text(expr: pl.Expr, dtype: pl.DataType, *, amount: bool = False) -> pl.Expr:
    """A typed column as the text a person would type for it."""
    if dtype == pl.String:
        return expr
    if dtype.is_numeric():
        if amount:
            exact = amount_from_number(expr).struct.field("value").cast(pl.String)
            return pl.when(expr.is_not_null()).then(pl.coalesce(exact, number_as_text(expr)))
        return number_as_text(expr)
    if dtype == pl.Datetime:
        return (
            pl.when(expr.dt.time() == pl.time(0))
            .then(expr.dt.strftime("%Y-%m-%d"))
            .otherwise(expr.dt.strftime("%Y-%m-%d %H:%M:%S"))
        )
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d")
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).when(~expr).then(pl.lit("false"))  # as fastexcel does
    return expr.cast(pl.String)


def has_content(schema: pl.Schema) -> pl.Expr:
    """True for a row with any non-blank cell among the given columns."""
    cells = [
        (pl.col(name).str.strip_chars() != "").fill_null(False) if dtype == pl.String else pl.col(name).is_not_null()
        for name, dtype in schema.items()
    ]
    return pl.any_horizontal(cells) if cells else pl.lit(False)
