"""The long layout: one row per (line, month), as ERP exports arrive. Each month cell is placed in a
fiscal month of one FY, the amounts of a line's month are summed, the line's other fields must agree
across its rows, and the result is pivoted to one row per line with a column per fiscal month.

A blank field on one of a line's rows is not a disagreement: the line takes the value its other rows
give. A month the file has for some lines but not for a line is zero for that line (as a blank cell
of a month column is).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from opex_app.domain.budget_fields import MONTH_FIELDS
from opex_app.domain.fiscal import FiscalYear
from opex_app.domain.ingest.amounts import AMOUNT
from opex_app.domain.ingest.errors import CellError, WorkbookRefused, column_letter
from opex_app.domain.ingest.months import NOT_A_MONTH, PERIOD_NEEDS_FY, read_month_cell
from opex_app.domain.ingest.specs import ImportSpec

_OUTSIDE = "outside_fy"
_EMPTY = "month_empty"


@dataclass
class LongResult:
    fiscal_year: FiscalYear
    lines: pl.DataFrame  # row (first sheet row), key, other fields, month fields present, sheet_rows, valid
    months: list[int]  # fiscal months present in the file
    errors: list[CellError]


def to_lines(
    rows: pl.DataFrame,
    spec: ImportSpec,
    *,
    sheet: str,
    columns: dict[str, tuple[int, str]],  # field -> (worksheet column, name shown)
    chosen: FiscalYear | None,
    start_month: int,
) -> LongResult:
    assert spec.long_fields is not None
    month, amount = spec.long_fields
    (key,) = spec.key
    cells = {v: read_month_cell(v, start_month=start_month, chosen=chosen) for v in rows[month].drop_nulls().unique()}
    rows = rows.with_columns(
        pl.col(month)
        .replace_strict(
            {v: c.fiscal_year.end_year if c.fiscal_year else None for v, c in cells.items()},
            default=None,
            return_dtype=pl.Int32,
        )
        .alias("fy_end"),
        pl.col(month)
        .replace_strict({v: c.fiscal_month for v, c in cells.items()}, default=None, return_dtype=pl.Int32)
        .alias("fm"),
        pl.when(pl.col(month).is_null())
        .then(pl.lit(_EMPTY))
        .otherwise(
            pl.col(month).replace_strict({v: c.problem for v, c in cells.items()}, default=None, return_dtype=pl.String)
        )
        .alias("mp"),
    )
    fy = chosen or _fiscal_year(rows, month, sheet, start_month)
    rows = rows.with_columns(
        pl.when(pl.col("mp").is_null() & pl.col("fy_end").is_not_null() & (pl.col("fy_end") != fy.end_year))
        .then(pl.lit(_OUTSIDE))
        .otherwise(pl.col("mp"))
        .alias("mp")
    )
    errors = _month_errors(rows, month, sheet, columns[month], fy)
    good = rows.filter(pl.col("mp").is_null() & pl.col(key).is_not_null())
    others = [name for name in columns if name not in (key, month, amount)]
    conflicts = _conflicts(good, key, others, sheet, columns, spec)
    errors += conflicts
    months = sorted(good["fm"].unique().drop_nulls().to_list())
    lines = _pivot(good, key, others, amount, months, {e.row for e in conflicts})
    rest = rows.filter(pl.col("mp").is_not_null() | pl.col(key).is_null()).select(
        "row", key, *others, pl.lit(1, pl.UInt32).alias("sheet_rows"), pl.lit(False).alias("valid")
    )
    lines = pl.concat(
        [lines, rest.with_columns([pl.lit(0, AMOUNT).alias(MONTH_FIELDS[m - 1]) for m in months])],
        how="diagonal_relaxed",
    ).sort("row")
    return LongResult(fy, lines, months, errors)


def _fiscal_year(rows: pl.DataFrame, month: str, sheet: str, start_month: int) -> FiscalYear:
    years = rows.filter(pl.col("mp").is_null() & pl.col("fy_end").is_not_null())
    distinct = sorted(years["fy_end"].unique().to_list())
    if len(distinct) == 1:
        return FiscalYear(distinct[0], start_month)
    if len(distinct) > 1:
        first = years.filter(pl.col("fy_end") == distinct[0]).row(0, named=True)
        last = years.filter(pl.col("fy_end") == distinct[-1]).row(0, named=True)
        raise WorkbookRefused(
            f"the {month} column of sheet '{sheet}' spans more than one fiscal year: '{first[month]}' (row "
            f"{first['row']}) is in {FiscalYear(distinct[0], start_month)} and '{last[month]}' (row {last['row']}) "
            f"is in {FiscalYear(distinct[-1], start_month)}; pass --fy (e.g. --fy FY27) to import one fiscal year "
            "(rows of other years are then errors, which --skip-invalid drops)"
        )
    periods = rows.filter(pl.col("mp") == PERIOD_NEEDS_FY)
    what = "fiscal period numbers" if periods.height else "months without a year"
    raise WorkbookRefused(
        f"the {month} column of sheet '{sheet}' holds {what}, so the fiscal year is not known: pass --fy "
        "(e.g. --fy FY27) or pick the fiscal year for this import"
    )


def _month_errors(
    rows: pl.DataFrame, month: str, sheet: str, column: tuple[int, str], fy: FiscalYear
) -> list[CellError]:
    col, shown = column
    out = []
    for row, raw, problem, fy_end in (
        rows.filter(pl.col("mp").is_not_null()).select("row", month, "mp", "fy_end").iter_rows()
    ):
        value = (raw or "").removesuffix(" 00:00:00")
        if problem == _OUTSIDE:
            message = (
                f"'{value}' is in {FiscalYear(fy_end, fy.start_month)}, outside {fy}, the fiscal year of this import"
            )
        elif problem == _EMPTY:
            message = "the month is empty: every row needs its month (a date, a month such as Apr-26, or 1-12)"
        else:
            assert problem in (NOT_A_MONTH, PERIOD_NEEDS_FY)
            message = f"expected a month (a date, a month such as Apr-26, or a fiscal period 1-12), found '{value}'"
        out.append(CellError(sheet, f"{column_letter(col)}{row}", row, shown, value, message))
    return out


def _conflicts(
    good: pl.DataFrame,
    key: str,
    others: list[str],
    sheet: str,
    columns: dict[str, tuple[int, str]],
    spec: ImportSpec,
) -> list[CellError]:
    out: list[CellError] = []
    for name in others:
        # Only the lines whose rows hold two different values are looked at row by row.
        split = (
            good.lazy()
            .filter(pl.col(name).is_not_null())
            .group_by(key)
            .agg(pl.col(name).n_unique().alias("n"))
            .filter(pl.col("n") > 1)
            .collect()
            .get_column(key)
        )
        if split.is_empty():
            continue
        first = pl.col(name).drop_nulls().first().over(key)
        differing = (
            good.filter(pl.col(key).is_in(split.implode()))
            .with_columns(first.alias("first"))
            .filter(pl.col(name).is_not_null() & (pl.col(name) != pl.col("first")))
        )
        col, shown = columns[name]
        for row, key_value, value, agreed in differing.select("row", key, name, "first").iter_rows():
            out.append(
                CellError(
                    sheet,
                    f"{column_letter(col)}{row}",
                    row,
                    shown,
                    str(value),
                    f"{spec.label(name)} '{value}' differs from '{agreed}' on an earlier row of "
                    f"{spec.label(key)} '{key_value}': a line's rows must agree",
                )
            )
    return out


def _pivot(
    good: pl.DataFrame, key: str, others: list[str], amount: str, months: list[int], bad_rows: set[int | None]
) -> pl.DataFrame:
    bad_keys = good.filter(pl.col("row").is_in(sorted(r for r in bad_rows if r is not None)))[key].unique()
    lines = (
        good.group_by(key, maintain_order=True)
        .agg(
            pl.col("row").min(),
            *[pl.col(name).drop_nulls().first() for name in others],
            pl.len().cast(pl.UInt32).alias("sheet_rows"),
            pl.col("valid").all(),
        )
        .with_columns(pl.col("valid") & ~pl.col(key).is_in(bad_keys.implode()))
    )
    if not months:
        return lines
    sums = (
        good.group_by(key, "fm")
        .agg(pl.col(amount).sum())
        .pivot(on="fm", index=key, values=amount)
        .rename({str(fm): MONTH_FIELDS[fm - 1] for fm in months})
    )
    lines = lines.join(sums, on=key, how="left")
    return lines.with_columns(pl.col(MONTH_FIELDS[fm - 1]).fill_null(0).cast(AMOUNT) for fm in months)
