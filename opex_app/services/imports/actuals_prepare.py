"""Actuals rows as one invoice says them, normalised: the shape (`PREPARED`) that the checks, the links and
the write of actuals all read, whether the rows come from a file or from a form (a frame of one row).

The FY (by its end year) and the fiscal month come from the invoice date (a file may span several FYs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from opex_app.domain.names import name_key

MONEY = pl.Decimal(18, 2)
RATE = pl.Decimal(18, 6)
UNKNOWN_VENDOR = -1  # a vendor name not stored yet: no stored invoice can have it

# The file's fields, in the prepared frame's shape (absent fields are null).
TEXT_FIELDS = ("vendor", "currency", "uid", "po_number", "remarks")

# Prepared rows: what one invoice says, normalised.
PREPARED: dict[str, Any] = {
    "row": pl.Int64,
    "invoice_number": pl.String,
    "invoice_date": pl.Date,
    "vendor": pl.String,
    "vendor_key": pl.String,  # name_key of the vendor, '' for none
    "vendor_id0": pl.Int64,  # 0: no vendor; UNKNOWN_VENDOR: a name not stored yet
    "amount": MONEY,
    "currency": pl.String,
    "uid": pl.String,
    "po_number": pl.String,
    "remarks": pl.String,
    "fy_end": pl.Int32,
    "fiscal_month": pl.Int32,
}


def prepare(rows: pl.DataFrame, vendors: Mapping[str, int], *, base: str, start_month: int) -> pl.DataFrame:
    """The rows of a file (or a form) in the PREPARED shape: the currency defaults to `base`; the FY (by its
    end year) and fiscal month come from the invoice date; `vendor_id0` is the stored vendor's id (0 for
    none, UNKNOWN_VENDOR for a name not stored yet)."""
    frame = rows.select(
        pl.col("row").cast(pl.Int64),
        pl.col("invoice_number").cast(pl.String),
        pl.col("invoice_date").cast(pl.Date),
        pl.col("amount").cast(MONEY),
        *[
            pl.col(name).cast(pl.String) if name in rows.columns else pl.lit(None, pl.String).alias(name)
            for name in TEXT_FIELDS
        ],
    )
    distinct = frame.get_column("vendor").drop_nulls().unique().to_list()
    keys = {name: name_key(name) for name in distinct}
    ids = {name: vendors.get(key, UNKNOWN_VENDOR) for name, key in keys.items()}
    day = pl.col("invoice_date")
    after_start = (day.dt.month() >= start_month) if start_month != 1 else pl.lit(False)
    return frame.with_columns(
        vendor_key=pl.col("vendor").replace_strict(keys, default=None, return_dtype=pl.String).fill_null(""),
        vendor_id0=pl.col("vendor").replace_strict(ids, default=None, return_dtype=pl.Int64).fill_null(0),
        currency=pl.col("currency").str.to_uppercase().fill_null(base),
        fy_end=(day.dt.year() + after_start.cast(pl.Int32)).cast(pl.Int32),
        fiscal_month=((day.dt.month().cast(pl.Int32) - start_month) % 12 + 1).cast(pl.Int32),
    ).select(list(PREPARED))
