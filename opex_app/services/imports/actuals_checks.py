"""The checks of actuals: the errors that refuse a row, the duplicates to skip, and the conversion.

Each invoice is converted at the FX rate on its date (a missing rate is an error on the row, never 1.0).

Duplicates: an invoice is identified by (vendor, invoice number), vendor 0 when there is none, as the
unique index has it. The same key with the same amount, currency and date as stored, or as an earlier row
of the file, is already imported: skipped and counted; with another amount, currency or date it is an
error on the row.

`classify` runs on a frame of one row (a form) as on a frame of 100,000 (a file), and ends with the links
(`actuals_links`) of the rows it finds new.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from opex_app.domain.fiscal import FiscalYear
from opex_app.services.fx import missing_rate_message
from opex_app.services.imports.actuals_context import Context
from opex_app.services.imports.actuals_links import LINKS, links
from opex_app.services.imports.actuals_messages import (
    ISSUES,
    fy_name,
    invoice_named,
    issues,
    shown_amount,
    shown_date,
)
from opex_app.services.imports.actuals_prepare import MONEY, PREPARED

NEW, SKIP = "new", "skip"


@dataclass
class Classified:
    """Every prepared row with its status (NEW, SKIP, or null when it has an error), its conversion and its
    links; the errors and warnings as frames of (row, field, value, message)."""

    rows: pl.DataFrame
    errors: pl.DataFrame
    warnings: pl.DataFrame


def classify(prepared: pl.DataFrame, ctx: Context, *, chosen: FiscalYear | None = None) -> Classified:
    """Apply the rules to every prepared row: errors (no date, outside the chosen FY, a duplicate key with
    another amount or date, no FX rate), duplicates to skip, conversion, links and their warnings."""
    f = prepared.join(ctx.stored, on=["vendor_id0", "invoice_number"], how="left")
    bad, errors = _date_errors(f, chosen)
    f, stored_clash = _stored_duplicates(f, bad)
    f, file_clash = _file_duplicates(f)
    f, rate_errors = _converted(f, ctx.rates)
    errors += [stored_clash, file_clash, *rate_errors]
    status = (
        pl.when(pl.col("_bad"))
        .then(pl.lit(None, pl.String))
        .when(pl.col("_stored_same") | pl.col("_file_same"))
        .then(pl.lit(SKIP))
        .otherwise(pl.lit(NEW))
    )
    f = f.with_columns(status.alias("status"))
    linked, warnings = links(f.filter(pl.col("status") == NEW), ctx)
    rows = f.join(linked, on="row", how="left").select(
        *PREPARED, "status", "rate", "amount_base", *LINKS, "stored_id", "first_row"
    )
    return Classified(
        rows, pl.concat(errors, how="vertical").sort("row") if errors else pl.DataFrame(schema=ISSUES), warnings
    )


def _date_errors(f: pl.DataFrame, chosen: FiscalYear | None) -> tuple[pl.Expr, list[pl.DataFrame]]:
    """The rows without a date, or dated outside the chosen FY: (which rows are bad, their errors)."""
    no_date = pl.col("invoice_date").is_null()
    errors = [
        issues(
            f.filter(no_date),
            "invoice_date",
            pl.lit(""),
            pl.lit("Invoice Date is empty: the FY, month and rate of an invoice come from its date"),
        )
    ]
    if chosen is None:
        return no_date, errors
    outside = ~no_date & (pl.col("fy_end") != chosen.end_year)
    errors.append(
        issues(
            f.filter(outside),
            "invoice_date",
            shown_date(pl.col("invoice_date")),
            pl.concat_str(
                pl.lit("invoice date "),
                shown_date(pl.col("invoice_date")),
                pl.lit(f" is outside {chosen.name}, the fiscal year of this import (--fy): it is in "),
                fy_name(pl.col("fy_end")),
            ),
        )
    )
    return no_date | outside, errors


def _stored_duplicates(f: pl.DataFrame, bad: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Against the database: a stored invoice of the same key is the same one (`_stored_same`, skipped) or
    a clash (an error; `_bad` then holds every row refused so far)."""
    in_db = pl.col("stored_id").is_not_null()
    same_db = (
        (pl.col("amount") == pl.col("stored_amount"))
        & (pl.col("currency") == pl.col("stored_currency"))
        & (pl.col("invoice_date") == pl.col("stored_date"))
    ).fill_null(False)
    db_clash = ~bad & in_db & ~same_db
    errors = issues(
        f.filter(db_clash),
        "invoice_number",
        pl.col("invoice_number"),
        pl.concat_str(
            invoice_named(),
            pl.lit(" is already stored with "),
            shown_amount(pl.col("stored_currency"), pl.col("stored_amount")),
            pl.lit(" dated "),
            shown_date(pl.col("stored_date")),
            pl.lit("; this row has "),
            shown_amount(pl.col("currency"), pl.col("amount")),
            pl.lit(" dated "),
            shown_date(pl.col("invoice_date")),
            pl.lit(": an invoice is identified by vendor and invoice number (correct the stored one, or the row)"),
        ),
    )
    return f.with_columns((bad | db_clash).alias("_bad"), (in_db & same_db).alias("_stored_same")), errors


def _file_duplicates(f: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Within the file: each row not stored is compared with the first valid row of its key; the same is
    skipped (`_file_same`), another amount, currency or date is an error."""
    firsts = (
        f.filter(~pl.col("_bad") & pl.col("stored_id").is_null())
        .sort("row")
        .group_by("vendor_key", "invoice_number", maintain_order=True)
        .agg(
            pl.col("row").first().alias("first_row"),
            pl.col("amount").first().alias("first_amount"),
            pl.col("currency").first().alias("first_currency"),
            pl.col("invoice_date").first().alias("first_date"),
        )
    )
    f = f.join(firsts, on=["vendor_key", "invoice_number"], how="left")
    repeat = ~pl.col("_bad") & pl.col("stored_id").is_null() & (pl.col("row") != pl.col("first_row")).fill_null(False)
    same_file = (
        (pl.col("amount") == pl.col("first_amount"))
        & (pl.col("currency") == pl.col("first_currency"))
        & (pl.col("invoice_date") == pl.col("first_date"))
    ).fill_null(False)
    file_clash = repeat & ~same_file
    errors = issues(
        f.filter(file_clash),
        "invoice_number",
        pl.col("invoice_number"),
        pl.concat_str(
            invoice_named(),
            pl.lit(" is also on row "),
            pl.col("first_row").cast(pl.String),
            pl.lit(" with "),
            shown_amount(pl.col("first_currency"), pl.col("first_amount")),
            pl.lit(" dated "),
            shown_date(pl.col("first_date")),
            pl.lit("; this row has "),
            shown_amount(pl.col("currency"), pl.col("amount")),
            pl.lit(" dated "),
            shown_date(pl.col("invoice_date")),
            pl.lit(": an invoice is identified by vendor and invoice number"),
        ),
    )
    return f.with_columns((pl.col("_bad") | file_clash).alias("_bad"), (repeat & same_file).alias("_file_same")), errors


def _converted(f: pl.DataFrame, rates: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Conversion at the rate on the invoice date (rows stored already need none): `rate` and `amount_base`;
    a missing rate, or a base amount too large for NUMERIC(18,2), is an error."""
    errors: list[pl.DataFrame] = []
    f = f.join(rates, on=["currency", "invoice_date"], how="left")
    needs_rate = ~pl.col("_bad") & ~pl.col("_stored_same")
    no_rate = needs_rate & pl.col("rate").is_null()
    missing = f.filter(no_rate).select("row", "currency", "invoice_date").unique()
    if missing.height:
        messages = {
            (code, day): missing_rate_message(code, day)
            + f" (record one with: fx set {code} RATE --from {day.isoformat()})"
            for code, day in missing.select("currency", "invoice_date").unique().iter_rows()
        }
        errors.append(
            pl.DataFrame(
                [(row, "currency", code, messages[(code, day)]) for row, code, day in missing.iter_rows()],
                schema=ISSUES,
                orient="row",
            )
        )
    base = (pl.col("amount") * pl.col("rate")).round(2, mode="half_away_from_zero").cast(MONEY, strict=False)
    f = f.with_columns(base.alias("amount_base"))
    too_large = needs_rate & ~no_rate & pl.col("amount_base").is_null()
    errors.append(
        issues(
            f.filter(too_large),
            "amount",
            pl.col("amount"),
            pl.lit("the amount in base currency is too large: at most 16 digits before the decimal point"),
        )
    )
    return f.with_columns((pl.col("_bad") | no_rate | too_large).alias("_bad")), errors
