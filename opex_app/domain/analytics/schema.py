"""The frame every analytics function reads: the figures model per budget line and fiscal month.

One row per (budget_line_id, fiscal_month 1..12), twelve rows per line, as `services/figures.py` gives them,
joined with the line's attributes the reports group by. Money is Decimal(18,2) in base currency; a
`budget_base` of null (the line's currency has no budget rate) counts as zero in every sum, as in
`figures_by`. Dimension columns may be null (a line without a vendor): reports show `(no vendor)`.
"""

from __future__ import annotations

import polars as pl

MONEY = pl.Decimal(18, 2)
MONEY_COLUMNS = ("budget_base", "committed", "actual")
DIMENSION_COLUMNS = ("uid", "tower", "budget_head", "cost_centre", "vendor", "entity")

_COLUMNS: dict[str, pl.DataType] = {
    "budget_line_id": pl.Int64(),
    "fiscal_month": pl.Int64(),
    "budget_base": MONEY,
    "committed": MONEY,
    "actual": MONEY,
    "uid": pl.String(),
    "tower": pl.String(),
    "budget_head": pl.String(),
    "cost_centre": pl.String(),
    "vendor": pl.String(),
    "entity": pl.String(),
}
FIGURES_SCHEMA = pl.Schema(_COLUMNS)


class FiguresSchemaError(ValueError):
    """The frame handed to analytics is not shaped like FIGURES_SCHEMA."""


def validate_figures(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The frame as a LazyFrame of exactly FIGURES_SCHEMA's columns, or FiguresSchemaError naming every fault.

    Only the schema is checked (no collect): a wrong dtype is refused, never cast, so a float amount cannot
    slip into a Decimal total.
    """
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    faults = [f"missing column '{name}'" for name in FIGURES_SCHEMA if name not in schema]
    faults += [
        f"column '{name}' is {schema[name]}, expected {dtype}"
        for name, dtype in FIGURES_SCHEMA.items()
        if name in schema and schema[name] != dtype
    ]
    if faults:
        raise FiguresSchemaError("figures frame: " + "; ".join(faults))
    return lazy.select(FIGURES_SCHEMA.names())


def money(expr: pl.Expr) -> pl.Expr:
    """Back to Decimal(18,2) at the edge (sums widen to Decimal(38,2)); strict, so an overflow raises."""
    return expr.cast(MONEY, strict=True)
